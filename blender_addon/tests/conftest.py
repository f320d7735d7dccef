import os
import sys

# The pure modules are imported as the top-level package ``core`` (no bpy, no add-on package).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
