// Which sockets a process listens on, from /proc (Linux): its fds' socket inodes matched against
// the kernel's TCP/UDP tables. TCP counts when in LISTEN; UDP counts when bound to a local port
// with no remote peer (something could send to it).
import fs from "node:fs";

function table(file) {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}

export function bridgeListeningSockets(pid) {
  const inodes = new Set();
  let checked = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    checked++;
    try {
      const m = fs.readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const listening = [];
  for (const [file, isTCP] of [["tcp", true], ["tcp6", true], ["udp", false], ["udp6", false]]) {
    for (const cols of table(`/proc/${pid}/net/${file}`)) {
      const [, local, remote, st] = cols;
      const inode = cols[9];
      if (!inodes.has(inode)) continue;
      const open = isTCP ? st === "0A" : /:0000$/.test(remote) && !/:0000$/.test(local);
      if (open) listening.push({ proto: file, local, inode });
    }
  }
  return { checked, sockets: inodes.size, listening };
}
