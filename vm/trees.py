# SPDX-License-Identifier: GPL-2.0
"""Working copies of a kernel tree in the cache, for vm/mutants.py and
vm/coverage.py: hard links, so a copy costs no disk until a file of it
is rewritten (which gives that file an inode of its own)."""

import os
import shutil
import subprocess
import sys


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.environ.get("IOMMUFD_NEST_CACHE", os.path.join(base, "iommufd-nest"))


def linked_copy(pristine, prefix, say):
    """The copy PREFIX-<tree> of PRISTINE, made once.  vm/kernel.sh
    builds it as a tree of its own: Debian's, which it never rebuilds,
    carry .iommufd-nest-source, which the copy drops."""
    tree = os.path.join(cache_dir(), f"{prefix}-{os.path.basename(pristine)}")
    if not os.path.isfile(os.path.join(tree, "Makefile")):
        say(f"linking a working copy of {pristine} into {tree}")
        shutil.rmtree(tree + ".tmp", ignore_errors=True)
        if subprocess.run(["cp", "-al", pristine, tree + ".tmp"]).returncode:
            sys.exit(f"error: cannot copy {pristine} into {tree}")
        os.rename(tree + ".tmp", tree)
    stamp = os.path.join(tree, ".iommufd-nest-source")
    if os.path.exists(stamp):
        os.unlink(stamp)
    return tree


def replace_file(path, text):
    """PATH as a new file holding TEXT: a hard link to the pristine
    tree's file is dropped first, never written through."""
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def next_tree():
    """Debian's 7.2 tree (vm/kernel.sh source next), fetched once."""
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([os.path.join(here, "kernel.sh"), "source", "next"],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"error: no 7.2 tree: {r.stderr.strip()}")
    return r.stdout.strip()


def sayer(tag):
    """A progress printer: "[TAG] message" on stderr."""
    return lambda msg: print(f"[{tag}] {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(1)


def positive(text):
    """argparse's type for a positive whole number."""
    if not text.isdigit() or int(text) == 0:
        raise ValueError(text)
    return int(text)
