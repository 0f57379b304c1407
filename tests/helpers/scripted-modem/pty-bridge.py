# The modem end of a pseudo-terminal pair for tests: opens a pty, puts it in raw mode, prints the
# device path of the terminal end (the "modem device" imsd opens) on stderr, then relays bytes
# between the pty master and this process's stdin/stdout. Closing stdin (or SIGTERM) closes the
# master: the device sees a hangup, as when a USB modem goes away.
import os
import select
import signal
import sys
import tty

master, slave = os.openpty()
tty.setraw(slave)
sys.stderr.write(os.ttyname(slave) + "\n")
sys.stderr.flush()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

inp = sys.stdin.fileno()
out = sys.stdout.fileno()
while True:
    ready, _, _ = select.select([master, inp], [], [])
    if master in ready:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        if data:
            os.write(out, data)
    if inp in ready:
        data = os.read(inp, 4096)
        if not data:
            break
        os.write(master, data)
