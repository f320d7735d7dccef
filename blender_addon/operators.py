"""Connect / disconnect this Blender, open the shader library, clear the cache; and the bases of
the operators that ask the bridge (NeedsBridge, BridgeCommand)."""

import platform

import bpy

from . import runtime

# What an operator says when the bridge stopped between the button being drawn and clicked.
NOT_RUNNING = "The bridge is not running: click Connect."


class NeedsBridge:
    """An operator that asks the bridge something: greyed out while the bridge is not running."""

    @classmethod
    def poll(cls, context):
        return runtime.bridge().running


class BridgeCommand(NeedsBridge):
    """An operator that is one message to the bridge (``message`` with ``fields``); the bridge's
    answer updates the state the panels draw."""

    message = ""
    fields = {}

    def execute(self, context):
        runtime.bridge().send(self.message, **self.fields)
        return {"FINISHED"}


class OCTANEBRIDGE_OT_connect(bpy.types.Operator):
    """Start the bridge and pair this Blender with your account"""

    bl_idname = "octane_bridge.connect"
    bl_label = "Connect"

    def execute(self, context):
        if not runtime.start(context):
            self.report({"ERROR"}, runtime.bridge().state.message or "The bridge could not start")
            return {"CANCELLED"}
        b = runtime.bridge()
        if not b.state.paired:
            name = b.hello.get("device_name") or f"Blender {bpy.app.version_string} on {platform.node()}"
            b.send("pair", device_name=name)
            self.report({"INFO"}, "Approve this Blender in the browser page that opens")
        return {"FINISHED"}


class OCTANEBRIDGE_OT_disconnect(BridgeCommand, bpy.types.Operator):
    """Unpair this Blender from your account"""

    bl_idname = "octane_bridge.disconnect"
    bl_label = "Disconnect"
    message = "unpair"


class OCTANEBRIDGE_OT_browse(bpy.types.Operator):
    """Open the shader library in the browser; imports from it arrive in this Blender"""

    bl_idname = "octane_bridge.browse"
    bl_label = "Browse Shader Library"

    def execute(self, context):
        runtime.open_url(runtime.library_url(context))
        return {"FINISHED"}


class OCTANEBRIDGE_OT_cancel_import(bpy.types.Operator):
    """Stop this import before it reaches the scene; the partial download is kept for next time"""

    bl_idname = "octane_bridge.cancel_import"
    bl_label = "Cancel Import"

    import_id: bpy.props.StringProperty(options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        b = runtime.bridge()
        # Once Blender applies it, the import is one undo step away, not cancellable.
        return b.running and b.state.current is not None and b.state.current.stage != "importing"

    def execute(self, context):
        b = runtime.bridge()
        cur = b.state.current
        import_id = self.import_id or (cur.import_id if cur else "")
        if not import_id or not b.send("cancel", import_id=import_id):
            self.report({"WARNING"}, "There is no import to cancel")
            return {"CANCELLED"}
        return {"FINISHED"}


class OCTANEBRIDGE_OT_account(bpy.types.Operator):
    """Open your account page: subscription, billing and connected Blenders"""

    bl_idname = "octane_bridge.account"
    bl_label = "Account"

    def execute(self, context):
        runtime.open_url(runtime.site_url(context) + "/account")
        return {"FINISHED"}


class OCTANEBRIDGE_OT_cache_stats(BridgeCommand, bpy.types.Operator):
    """Ask the bridge how much the shader package cache holds"""

    bl_idname = "octane_bridge.cache_stats"
    bl_label = "Refresh"
    message = "cache"
    fields = {"action": "stats"}


class OCTANEBRIDGE_OT_clear_cache(BridgeCommand, bpy.types.Operator):
    """Delete the downloaded shader packages (materials already in files keep their textures until then)"""

    bl_idname = "octane_bridge.clear_cache"
    bl_label = "Clear Cache"
    message = "cache"
    fields = {"action": "clear"}


classes = (
    OCTANEBRIDGE_OT_connect,
    OCTANEBRIDGE_OT_disconnect,
    OCTANEBRIDGE_OT_browse,
    OCTANEBRIDGE_OT_cancel_import,
    OCTANEBRIDGE_OT_account,
    OCTANEBRIDGE_OT_cache_stats,
    OCTANEBRIDGE_OT_clear_cache,
)
