#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The runner's QEMU guests: booting them, feeding them, and the
migration matrix they produce.  Everything goes in through arguments
and stdin and comes out as files in each guest's directory and stdout.

  guests.py boot [--jobs N] [--timeout S] [--patience S] [--what W]
                 [--qemu-aarch64 PATH] [--efi PATH] [--qboot PATH]
                 [--append ARGS]
      Boot each "TOPOLOGY KERNEL INITRD DIR TESTS [LATER]" line of stdin
      (TESTS and LATER comma-separated; the machine comes from
      vm/topologies.sh), N guests at work at a time, each given S seconds
      of work, and wait for all.  A guest with LATER tests says @@READY
      after TESTS and waits, idle: it counts neither against N nor
      against S.  Once no guest is at work, each waiting one is sent the
      streams the others saved (save.CONFIG blocks) and "@@RUN LATER"
      (vm/receive's protocol); one that asks again (@@AGAIN) or stays
      silent for the --patience seconds (default 30) is sent it again,
      at most 3 times.  A guest that dies or hangs ends alone.
      In DIR: console.log, qemu.log, serial.txt (the test port),
      NAME.out and NAME.rc per test, problem (empty when the guest ran
      to its end), kernel (its release), wall ("start end", epoch),
      cpu ("wall user system" of QEMU); and for the feed: feed (what was
      sent), ready-at, fed-at, resent and resent-why, timed-out.
  guests.py excerpt DIR
      the console around the first sign of trouble, as KTAP diagnostics
  guests.py timings VMDIR SINCE [CPUFILE]
      "NAME<TAB>SECONDS" of each guest under VMDIR that ran after the
      file SINCE was made: its phases, then each test; CPUFILE keeps
      each topology's last QEMU CPU time ("TOPOLOGY<TAB>SECONDS")
  guests.py order CPUFILE TOPOLOGY...
      the topologies, longest first by their last CPU time; unknown
      ones first of all, in the order given
  guests.py summary TIMINGS
      each guest's phases in the timings file, as KTAP diagnostics
  guests.py expect VMDIR
      "HOST|CONFIG<TAB>PHRASE" of vm/migrate_expect, each host's probe
      rows decided on its guest's outputs under VMDIR
  guests.py matrix VMDIR HOST...
      the migration matrix as a KTAP group's subtests; its table also in
      VMDIR/migration-matrix.txt
"""

import argparse
import errno
import hashlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time

VM = os.path.dirname(os.path.abspath(__file__))

# Console lines that mean the guest kernel itself went wrong.
TROUBLE = re.compile(r"Kernel panic|Oops|BUG:|WARNING:|KASAN:|"
                     r"general protection fault|watchdog: BUG|hung_task")
# How often the scheduler looks at its guests, and the most a fed guest
# is sent everything again.
TICK = 0.1
RESENDS = 3


def say(msg):
    print(f"[run] {msg}", file=sys.stderr, flush=True)


def read_lines(path):
    """PATH's lines, split at newlines only, carriage returns dropped."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().replace("\r", "")
    except OSError:
        return []
    lines = text.split("\n")
    return lines[:-1] if lines and not lines[-1] else lines


def seconds(word):
    """A number of seconds a file or a guest line gives, 0 if none."""
    try:
        return float(word)
    except (TypeError, ValueError):
        return 0.0


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def first_word(path):
    """The first line of PATH, stripped, or "?"."""
    lines = read_lines(path)
    return (lines[0].strip() if lines else "") or "?"


def topologies():
    """NAME: the fields of each row of vm/topologies.sh's table."""
    out = subprocess.run(["bash", "-c", '. "$0" && topology_table',
                          os.path.join(VM, "topologies.sh")],
                         check=True, capture_output=True, text=True).stdout
    table = {}
    for row in out.splitlines():
        f = row.split("|") + [""] * 8
        table[f[0]] = {"qemu_args": f[2], "cmdline": f[3], "tests": f[4],
                       "arch": f[5] or "x86", "firmware": f[6]}
    return table


class Guest:
    """One guest of a boot: its spec, its QEMU and where it is."""

    def __init__(self, line):
        w = line.split()
        if len(w) < 5:
            raise ValueError(f"bad guest line '{line}': expected "
                             "TOPOLOGY KERNEL INITRD DIR TESTS [LATER]")
        self.topo, self.kernel, self.initrd, self.dir = w[:4]
        self.tests = w[4]
        self.later = w[5] if len(w) > 5 else ""
        self.state = "queued"
        self.proc = None
        self.start = self.start_wall = 0.0
        self.used = self.fedwork = 0.0
        self.sends = 0
        self.pos = 0
        self.part = b""
        self.pending = b""
        self.wfd = None
        self.timed_out = None
        self.kill_at = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def argv(self, opts, topo):
        """QEMU's command line for this guest."""
        if topo["arch"] == "arm64":
            qemu, console, port = opts.qemu_aarch64, "ttyAMA0", "ttyAMA1"
            fw = ["-bios", opts.efi] if topo["firmware"] == "uefi-iort" else []
        else:
            qemu, console, port = "qemu-system-x86_64", "ttyS0", "ttyS1"
            # qboot: a minimal firmware, faster than SeaBIOS
            fw = ["-bios", opts.qboot] if os.path.isfile(opts.qboot) else []
        # no_timer_check: a TCG guest on a loaded host can fail the
        # IO-APIC timer check and panic before any test runs
        append = (f"console={console} loglevel=5 panic=-1 no_timer_check "
                  f"nest_out={port} nest_run={self.tests}"
                  f"{' nest_later=1' if self.later else ''} "
                  f"{topo['cmdline']} {opts.append}").strip()
        return ([qemu, "-accel", "tcg"] + fw + shlex.split(topo["qemu_args"]) +
                ["-display", "none", "-monitor", "none", "-nic", "none",
                 "-no-reboot", "-serial", f"file:{self.path('console.log')}",
                 "-chardev", f"pipe,id=nestio,path={self.path('serial')}",
                 "-serial", "chardev:nestio", "-kernel", self.kernel,
                 "-initrd", self.initrd, "-append", append])

    def forget(self):
        """Clear what an earlier boot left, so that nothing of it is
        read as this run's: until it starts, it was never booted."""
        os.makedirs(self.dir, exist_ok=True)
        for name in os.listdir(self.dir):
            if (name.endswith((".out", ".rc")) or name in (
                    "serial.in", "timed-out", "resent", "resent-why",
                    "ready-at", "fed-at", "feed", "kernel", "wall")) and \
               not os.path.isdir(self.path(name)):
                os.unlink(self.path(name))
        write(self.path("problem"), "guest was never booted")

    def launch(self, opts, topo):
        write(self.path("problem"), "")
        # QEMU's pipe backend reads serial.in (a FIFO it opens
        # read-write) and appends to serial.out (a plain file)
        write(self.path("serial.out"), "")
        os.mkfifo(self.path("serial.in"))
        log = open(self.path("qemu.log"), "wb")
        # the guest dies with us, even when a signal to our whole
        # process group kills us before we can stop it
        self.proc = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL"] + self.argv(opts, topo),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        self.start = time.monotonic()
        self.start_wall = time.time()
        self.state = "busy"

    def new_lines(self):
        """The test port's complete lines written since the last look."""
        try:
            with open(self.path("serial.out"), "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        self.pos += len(data)
        lines = (self.part + data).split(b"\n")
        self.part = lines.pop()
        return [ln.decode("utf-8", "replace").rstrip("\r") for ln in lines]

    def send(self, text):
        """Queue TEXT for the test port; flush() writes what fits."""
        if self.wfd is None:
            try:
                # read-write: opening never blocks, even if QEMU is gone
                self.wfd = os.open(self.path("serial.in"),
                                   os.O_RDWR | os.O_NONBLOCK)
            except OSError:
                return
        self.pending = text.encode()
        self.flush()

    def flush(self):
        while self.pending and self.wfd is not None:
            try:
                n = os.write(self.wfd, self.pending)
            except BlockingIOError:
                return
            except OSError:
                self.pending = b""
            else:
                self.pending = self.pending[n:]
        if self.wfd is not None and not self.pending:
            os.close(self.wfd)
            self.wfd = None

    def reap(self):
        """The exit status and rusage of QEMU, or None while it runs."""
        try:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid == 0:
            return None
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return ru

    def kill(self, sig=signal.SIGTERM):
        try:
            os.kill(self.proc.pid, sig)
        except ProcessLookupError:
            pass


def split_serial(guest):
    """serial.txt, and NAME.out and NAME.rc per @@BEGIN/@@END block."""
    lines = read_lines(guest.path("serial.out"))
    write(guest.path("serial.txt"), "".join(ln + "\n" for ln in lines))
    out = None
    for ln in lines:
        w = ln.split()
        if ln.startswith("@@BEGIN ") and len(w) > 1:
            out = open(guest.path(w[1] + ".out"), "w", encoding="utf-8")
        elif ln.startswith("@@END ") and len(w) > 2:
            write(guest.path(w[1] + ".rc"), w[2].partition("=")[2] + "\n")
            if out:
                out.close()
            out = None
        elif out:
            out.write(ln + "\n")
    if out:
        out.close()
    return lines


def where(state):
    """Where a stopped guest was, in the feed protocol."""
    return {
        "tests": "before it was ready to load the others' streams",
        "fed": "after it was sent the others' streams, which it never began to load",
        "loading": "while it loaded the others' streams",
    }.get(state, "")


def finish(guest, ru, opts):
    """A guest's outcome into its directory."""
    end = time.time()
    if guest.wfd is not None:
        os.close(guest.wfd)
        guest.wfd = None
    try:
        os.unlink(guest.path("serial.in"))
    except OSError:
        pass
    lines = split_serial(guest)
    kernel = next((ln[9:] for ln in lines if ln.startswith("@@KERNEL ")), "")
    console = read_lines(guest.path("console.log"))
    trouble = next((ln for ln in console if TROUBLE.search(ln)), None)
    rc = guest.proc.returncode
    if guest.timed_out:
        secs, state = guest.timed_out
        at = where(state)
        problem = f"guest timed out after {secs} s{' of work' if state != 'wall' else ''}" \
            f"{', ' + at if at else ''}"
    elif trouble:
        problem = f"guest kernel: {trouble}"
    elif rc != 0:
        log = read_lines(guest.path("qemu.log"))
        problem = f"qemu exited with status {rc}: {log[-1] if log else ''}"
    elif "@@DONE" not in lines:
        problem = "guest stopped before its tests finished"
    else:
        problem = ""
    write(guest.path("problem"), problem)
    write(guest.path("kernel"), kernel)
    write(guest.path("wall"), f"{guest.start_wall:.6f} {end:.6f}\n")
    cpu = (ru.ru_utime, ru.ru_stime) if ru else (0.0, 0.0)
    write(guest.path("cpu"), f"{end - guest.start_wall:.3f} {cpu[0]:.3f} {cpu[1]:.3f}\n")
    if guest.timed_out:
        write(guest.path("timed-out"), f"{guest.timed_out[0]} {guest.timed_out[1]}\n")
    say(f"{guest.topo}{' ' + opts.what if opts.what else ''} finished in "
        f"{int(time.monotonic() - guest.start)} s")
    guest.state = "ended"


def saved_streams(dirname):
    """(CONFIG, HEX) of each stream a guest's save.CONFIG blocks hold."""
    config = ""
    for ln in read_lines(os.path.join(dirname, "serial.out")):
        if ln.startswith("@@BEGIN save."):
            config = ln.split()[1][5:]
        elif ln.startswith("@@END "):
            config = ""
        elif config and ln.startswith("stream: "):
            yield config, ln[8:]


def feed_text(guest, dirs):
    """What a waiting guest is sent: each other guest's streams as
    "@@FILE SOURCE.CONFIG.hex" and its line, their sums, then "@@RUN
    LATER".  "@@FEED" first makes it forget an earlier, damaged feed
    (the empty line before it ends a line a lost newline left open)."""
    files = []
    for d in dirs:
        if d != guest.dir:
            files += [(f"{os.path.basename(d)}.{c}.hex", h)
                      for c, h in saved_streams(d)]
    text = "\n@@FEED\n"
    text += "".join(f"@@FILE {n}\n{h}\n" for n, h in files)
    text += "".join(f"@@SUM {hashlib.md5((h + chr(10)).encode()).hexdigest()} {n}\n"
                    for n, h in sorted(files))
    return text + f"@@RUN {guest.later}\n"


def feed(guest, dirs):
    text = feed_text(guest, dirs)
    write(guest.path("feed"), text)
    guest.fedwork = 0.0
    guest.send(text)


def resend(guest, dirs, why):
    if guest.sends >= RESENDS:
        return
    guest.sends += 1
    say(f"{os.path.basename(guest.dir)}: {why}, sending its streams again")
    write(guest.path("resent"), f"{guest.sends}\n")
    with open(guest.path("resent-why"), "a", encoding="utf-8") as f:
        f.write(why + "\n")
    feed(guest, dirs)


def watch(guest, dirs, patience):
    """Act on what a guest with LATER tests said since the last look."""
    for ln in guest.new_lines():
        if ln == "@@READY" and guest.state == "busy":
            guest.state = "ready"
            write(guest.path("ready-at"), f"{time.time():.6f}\n")
        elif ln.startswith("@@AGAIN ") and guest.state == "fed":
            resend(guest, dirs, f"they arrived corrupted ({ln[8:]})")
        elif ln.startswith("@@UPTIME go ") and guest.state == "fed":
            guest.state = "loading"
    guest.flush()
    # patience counts from the moment the whole feed is in the pipe
    if guest.state == "fed" and guest.pending:
        guest.fedwork = 0.0
    if guest.state == "fed" and guest.fedwork > patience:
        resend(guest, dirs, f"no answer in {patience:g} s")


def boot(opts, guests):
    table = topologies()
    dirs = [g.dir for g in guests]
    for g in guests:
        if g.topo not in table:
            raise ValueError(f"unknown topology '{g.topo}'")
        if table[g.topo]["arch"] == "arm64" and not opts.qemu_aarch64:
            raise ValueError(f"{g.topo} is an arm64 guest: it needs --qemu-aarch64")
    last = time.monotonic()
    while True:
        now = time.monotonic()
        dt, last = now - last, now
        busy = queued = ready = 0
        for g in guests:
            if g.state == "queued":
                queued += 1
                continue
            if g.state == "ended":
                continue
            ru = g.reap()
            if g.proc.returncode is not None:
                finish(g, ru, opts)
                continue
            if g.kill_at is not None:
                # stopping: it holds its place until it is gone
                busy += 1
                if now > g.kill_at:
                    g.kill(signal.SIGKILL)
                continue
            if g.later:
                watch(g, dirs, opts.patience)
            if g.state == "ready":
                ready += 1
                continue
            busy += 1
            g.used += dt
            if g.state == "fed":
                g.fedwork += dt
            # a waiting guest's hard limit on the wall clock leaves room
            # for the others
            cap = opts.timeout * (3 if g.later else 1)
            if g.used > opts.timeout:
                g.timed_out = (opts.timeout,
                               ("tests" if g.state == "busy" else g.state)
                               if g.later else "")
            elif now - g.start > cap + 5:
                g.timed_out = (cap, "wall")
            if g.timed_out:
                g.kill()
                g.kill_at = now + 5
        for g in guests:
            if busy >= opts.jobs:
                break
            if g.state != "queued":
                continue
            say(f"booting {g.topo}{' ' + opts.what if opts.what else ''} "
                f"(timeout {opts.timeout} s, logs in {g.dir})")
            g.launch(opts, table[g.topo])
            busy += 1
            queued -= 1
        if busy == 0 and queued == 0 and ready == 0:
            return
        if busy == 0 and queued == 0:
            say("every guest is ready: sending each what it loads")
            for g in guests:
                if g.state == "ready":
                    feed(g, dirs)
                    write(g.path("fed-at"), f"{time.time():.6f}\n")
                    g.state = "fed"
        time.sleep(TICK)


def cmd_boot(argv):
    p = argparse.ArgumentParser(prog="guests.py boot")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--patience", type=float, default=30)
    p.add_argument("--what", default="")
    p.add_argument("--qemu-aarch64", default="")
    p.add_argument("--efi", default="")
    p.add_argument("--qboot", default="/usr/share/qemu/qboot.rom")
    p.add_argument("--append", default="")
    opts = p.parse_args(argv)
    if opts.jobs < 1 or opts.timeout < 1:
        p.error("--jobs and --timeout must be positive")
    guests, bad = [], []
    for ln in sys.stdin.read().split("\n"):
        try:
            if ln.strip():
                guests.append(Guest(ln))
        except ValueError as e:
            bad.append(str(e))
    try:
        for g in guests:
            g.forget()
        if bad:
            raise ValueError("; ".join(bad))
        boot(opts, guests)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        say("interrupted: stopping the guests")
        stop(guests)
        return 130
    return 0


def stop(guests):
    """Kill every guest still running, and wait for it."""
    for g in guests:
        if g.proc and g.proc.returncode is None:
            g.kill(signal.SIGKILL)
            try:
                g.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ChildProcessError):
                pass


def on_signal(signum, frame):
    raise KeyboardInterrupt


def cmd_excerpt(argv):
    if len(argv) != 1:
        return usage("excerpt needs DIR")
    d = argv[0]
    console = read_lines(os.path.join(d, "console.log"))
    n = next((i for i, ln in enumerate(console) if TROUBLE.search(ln)), None)
    part = console[max(0, n - 3):n + 21] if n is not None else console[-15:]
    for ln in part:
        print(f"# console: {ln}")
    # where a stopped guest was, in the feed protocol
    if os.path.exists(os.path.join(d, "timed-out")):
        for ln in read_lines(os.path.join(d, "serial.txt"))[-3:]:
            print(f"# test port: {ln}")
    return 0


def phases(d):
    """Seconds of the guest in D: wall, kernel boot (until init), its
    tests, idle waiting for the others, the LATER tests, QEMU and
    firmware (the wall time the kernel did not see) and QEMU's CPU.
    The wait is the runner's clock (ready-at, fed-at); the rest is the
    guest's uptime, which a TCG guest on a loaded host may keep badly:
    phases that exceed the wall time are scaled down to fit."""
    def number(name, field=0):
        w = first_word(os.path.join(d, name)).split()
        try:
            return float(w[field]) if w else 0.0
        except (ValueError, IndexError):
            return 0.0
    t0, t1 = (first_word(os.path.join(d, "wall")) + " 0 0").split()[:2]
    wall = seconds(t1) - seconds(t0)
    cpu = read_lines(os.path.join(d, "cpu"))
    cw = (cpu[0].split() if cpu else []) + ["0", "0", "0"]
    cpus = seconds(cw[1]) + seconds(cw[2])
    t = {}
    for ln in read_lines(os.path.join(d, "serial.txt")):
        w = ln.split()
        if len(w) >= 3 and w[0] == "@@UPTIME":
            t[w[1]] = seconds(w[2])
    # cut short: the rest of the wall time counts as its tests
    t.setdefault("start", 0.0)
    if "end" not in t:
        t["end"] = t["wait"] = t["go"] = wall
    t.setdefault("wait", t["end"])
    t.setdefault("go", t["wait"])
    pos = lambda v: max(v, 0.0)
    boot, tests = pos(t["start"]), pos(t["wait"] - t["start"])
    later = pos(t["end"] - t["go"])
    ready, fed = number("ready-at"), number("fed-at")
    wait = pos(fed - ready) if ready and fed else pos(t["go"] - t["wait"])
    busy = boot + tests + later
    if busy + wait > wall and busy > 0:
        k = pos(wall - wait) / busy
        boot, tests, later = boot * k, tests * k, later * k
    return {"wall": wall, "qemu_firmware_exit": pos(wall - boot - tests - wait - later),
            "kernel_boot": boot, "tests": tests, "barrier_wait": wait,
            "migration_load": later, "cpu": cpus}


def cpu_times(path):
    """TOPOLOGY: its last QEMU CPU seconds, from a CPUFILE."""
    times = {}
    for ln in read_lines(path):
        w = ln.split("\t")
        if len(w) == 2 and w[0] not in times:
            try:
                times[w[0]] = float(w[1])
            except ValueError:
                pass
    return times


def cmd_timings(argv):
    if len(argv) not in (2, 3):
        return usage("timings needs VMDIR SINCE [CPUFILE]")
    since = os.stat(argv[1]).st_mtime
    cpu = {}
    names = sorted(os.listdir(argv[0])) if os.path.isdir(argv[0]) else []
    for name in names:
        d = os.path.join(argv[0], name)
        wall = os.path.join(d, "wall")
        if not os.path.isfile(wall) or os.stat(wall).st_mtime <= since:
            continue
        ph = phases(d)
        for k, v in ph.items():
            print(f"guest.{name}.{k}\t{v:.2f}")
        cpu[name] = ph["cpu"]
        for ln in read_lines(os.path.join(d, "serial.txt")):
            w = ln.split()
            if len(w) >= 4 and w[0] == "@@TIME":
                print(f"guest.{name}.test.{w[1]}\t{seconds(w[3]) - seconds(w[2]):.2f}")
    if len(argv) == 3:
        # this run's times first, the others' kept
        old = cpu_times(argv[2])
        old.update(cpu)
        write(argv[2] + ".tmp", "".join(f"{t}\t{c:.2f}\n" for t, c in old.items()))
        os.replace(argv[2] + ".tmp", argv[2])
    return 0


def cmd_order(argv):
    if len(argv) < 1:
        return usage("order needs CPUFILE [TOPOLOGY...]")
    times = cpu_times(argv[0])
    topos = argv[1:]
    # unknown ones first; equal times keep the order given
    for t in sorted(topos, key=lambda t: (-times.get(t, float("inf")),
                                          topos.index(t))):
        print(t)
    return 0


def cmd_summary(argv):
    if len(argv) != 1:
        return usage("summary needs TIMINGS")
    t = {}
    for ln in read_lines(argv[0]):
        w = ln.split("\t")
        k = w[0].split(".")
        if len(w) == 2 and len(k) == 3 and k[0] == "guest":
            t.setdefault(k[1], {})[k[2]] = seconds(w[1])
    for g, v in t.items():
        p = {k: v.get(k, 0.0) for k in ("wall", "qemu_firmware_exit",
                                        "kernel_boot", "tests", "barrier_wait",
                                        "migration_load", "cpu")}
        print(f"# timings: {g:<14} wall {p['wall']:5.1f} s: qemu and firmware "
              f"{p['qemu_firmware_exit']:4.1f} s, kernel boot {p['kernel_boot']:4.1f} s, "
              f"tests {p['tests']:4.1f} s, waiting {p['barrier_wait']:4.1f} s, "
              f"loading {p['migration_load']:4.1f} s; cpu {p['cpu']:5.1f} s")
    return 0


# The migration matrix: vm/guest/migrate_save's streams, loaded by
# vm/guest/migrate_load in every other guest, judged by vm/migrate_expect
# and vm/migrate_flags.

def migrate_configs():
    return [ln.split()[0] for ln in read_lines(os.path.join(VM, "guest", "migrate_configs"))
            if not ln.startswith("#") and len(ln.split()) == 2]


def flags_want(config):
    for ln in read_lines(os.path.join(VM, "migrate_flags")):
        w = ln.split()
        if len(w) >= 2 and w[0] == config:
            return w[1]
    return ""


def expect(vmdir):
    """(HOST, CONFIG): the phrase a refusal must contain ("" where HOST
    must accept).  HOST[FILE~RE] holds when a line of FILE, an output of
    HOST's guest in VMDIR, matches RE; HOST[!FILE~RE] when FILE is there
    and none does; with no FILE to probe neither holds."""
    table = {}
    for ln in read_lines(os.path.join(VM, "migrate_expect")):
        f = [x for x in re.split(r"\t+", ln)]
        if ln.startswith("#") or len(f) < 3:
            continue
        host, config, phrase = f[0], f[1], f[2]
        m = re.fullmatch(r"([^[]*)\[(!?)([^~]*)~(.*)\]", host)
        if m:
            host, neg, name, regex = m.groups()
            lines = read_lines(os.path.join(vmdir, host, name))
            if not os.path.isfile(os.path.join(vmdir, host, name)):
                continue
            try:
                pattern = re.compile(regex)
            except re.error as e:
                raise SystemExit(f"error: vm/migrate_expect: '{f[0]}': bad regex ({e})")
            if any(pattern.search(x) for x in lines) == bool(neg):
                continue
        table[(host, config)] = phrase
    return table


def verdict_problem(verdict, phrase):
    """Why VERDICT is not what PHRASE expects, or ""."""
    if not phrase:
        return "" if verdict == "accepted" else f"expected accepted, got '{verdict}'"
    if not verdict.startswith("refused: "):
        return f"expected a refusal with '{phrase}', got '{verdict}'"
    if phrase not in verdict:
        return f"refused, but not with '{phrase}': '{verdict}'"
    return ""


class Block:
    """A save.* or mig.* block of a guest: what its lines say."""

    def __init__(self, path):
        self.stream = False
        self.source = self.verdict = self.fsrc = self.fdst = self.error = ""
        self.text = ""
        for ln in read_lines(path):
            self.text += ln + "\n"
            w = ln.split()
            if ln.startswith("stream: "):
                self.stream = True
            elif ln.startswith("source: "):
                self.source = ln[8:]
            elif ln.startswith("verdict: "):
                self.verdict = ln[9:]
            elif re.match(r"flags: source 0x.* target 0x", ln) and len(w) >= 5:
                self.fsrc, self.fdst = w[2], w[4]
            elif ln.startswith("error") and not self.error:
                self.error = ln


def cell(vmdir, exp, s, t, c):
    """(source verdict, flags, target verdict, problem) of one cell."""
    src = Block(os.path.join(vmdir, s, f"save.{c}.out"))
    blocked = exp.get(("*", c), "")
    if blocked:
        problem = ""
        if src.stream:
            problem = f"source {s} saved a stream of a config QEMU blocks"
        elif blocked not in src.text:
            problem = f"source {s} did not say '{blocked}': {src.error}"
        return "blocked", "-", "blocked", problem
    problem = verdict_problem(src.source, exp.get((s, c), ""))
    problem = f"source {s}: {problem}" if problem else ""
    tgt = os.path.join(vmdir, t, f"mig.{s}.{c}")
    dst = Block(tgt + ".out")
    tproblem = os.path.join(vmdir, t, "problem")
    if not src.stream:
        problem = f"source {s} saved no stream (exit " \
            f"{first_word(os.path.join(vmdir, s, f'save.{c}.rc'))})"
    elif not os.path.isfile(tgt + ".rc"):
        problem = f"target {t} did not load it: {''.join(read_lines(tproblem))}"
    elif os.path.isfile(tproblem) and os.path.getsize(tproblem):
        problem = f"target {t}: {''.join(read_lines(tproblem))}"
    flags = dst.fsrc if dst.fsrc == dst.fdst else f"{dst.fsrc}->{dst.fdst}"
    if not problem:
        if not dst.fsrc or not dst.fdst:
            problem = "no flags printed by the target"
        elif dst.fsrc != dst.fdst:
            problem = f"flags differ: {flags}"
        elif dst.fsrc != flags_want(c):
            problem = f"flags {dst.fsrc} at both ends, QEMU 11.1 gives " \
                f"{flags_want(c)} (vm/migrate_flags)"
        elif first_word(tgt + ".rc") != "0":
            problem = f"nest_migrate load exited {first_word(tgt + '.rc')}: {dst.error}"
        else:
            p = verdict_problem(dst.verdict, exp.get((t, c), ""))
            problem = f"target {t}: {p}" if p else ""
    return src.source.split(": ")[0], flags or "-", dst.verdict or "-", problem


def cmd_matrix(argv):
    if len(argv) < 3:
        return usage("matrix needs VMDIR and two or more HOSTs")
    vmdir, hosts = argv[0], argv[1:]
    exp = expect(vmdir)
    configs = migrate_configs()
    n = len(hosts)
    row = "{:<19} {:<23} {:<13} {:<11} {}"
    table = [row.format("config", "source (its verdict)", "target", "flags",
                        "target verdict")]
    print("  KTAP version 1")
    print("  # migration: each topology's stream, loaded in every other one")
    print(f"  1..{len(configs) * n * (n - 1)}")
    i = 0
    for c in configs:
        for s in hosts:
            for t in hosts:
                if s == t:
                    continue
                i += 1
                source, flags, verdict, problem = cell(vmdir, exp, s, t, c)
                short = f"refused: {exp.get((t, c), '')}" \
                    if verdict.startswith("refused:") else verdict.split(": ")[0]
                table.append(row.format(c, f"{s} ({source})", t, flags, short))
                if problem:
                    print(f"    # {problem}")
                    print(f"  not ok {i} {c}.{s}_to_{t}")
                else:
                    print(f"  ok {i} {c}.{s}_to_{t}")
    write(os.path.join(vmdir, "migration-matrix.txt"),
          "".join(x + "\n" for x in table))
    for x in table:
        print(f"  # {x}")
    return 0


def cmd_expect(argv):
    if len(argv) != 1:
        return usage("expect needs VMDIR")
    for (h, c), p in sorted(expect(argv[0]).items()):
        print(f"{h}|{c}\t{p}")
    return 0


def usage(why):
    print(f"error: {why}", file=sys.stderr)
    print("usage: guests.py boot|excerpt|timings|order|summary|expect|matrix ... "
          "(see the top of vm/guests.py)", file=sys.stderr)
    return 2


def main(argv):
    cmds = {"boot": cmd_boot, "excerpt": cmd_excerpt, "timings": cmd_timings,
            "order": cmd_order, "summary": cmd_summary,
            "expect": cmd_expect, "matrix": cmd_matrix}
    if len(argv) < 2 or argv[1] not in cmds:
        return usage(f"unknown command '{argv[1] if len(argv) > 1 else ''}'")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    return cmds[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
