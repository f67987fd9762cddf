#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Render the LAVA job templates and device descriptions, and check each
# against lava-dispatcher's own schemas (python3-jinja2 and lava_common
# come with the lava-dispatcher package).
#
#   render.py job TEMPLATE OUT [NAME=VALUE | NAME+=ITEM]...
#       a job from lava/jobs/TEMPLATE; NAME+=ITEM appends to a list
#   render.py device JOB OUT
#       the device description lava-run needs for JOB: its device type's
#       template (lava/devices/TYPE.jinja2) rendered with JOB's context,
#       as a LAVA server renders a device type for a job
#
# Exit status: 0 written, 1 rendering or a schema refused it, 2 usage.

import os
import sys

import jinja2
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg, status=1):
    print("error: " + msg, file=sys.stderr)
    sys.exit(status)


def render(subdir, template, values):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(
        os.path.join(HERE, subdir)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True)
    try:
        return env.get_template(template).render(**values)
    except jinja2.TemplateNotFound:
        die(f"no template {template} in lava/{subdir}", 2)
    except jinja2.UndefinedError as exc:
        die(f"{template}: {exc}: give it as NAME=VALUE", 2)


def parse_values(args):
    values = {}
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or not name:
            die(f"'{arg}': expected NAME=VALUE or NAME+=ITEM", 2)
        if name.endswith("+"):
            values.setdefault(name[:-1], []).append(value)
        else:
            values[name] = value
    return values


def write(out, text):
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(out + ".tmp", out)


def cmd_job(template, out, args):
    from lava_common.schemas import validate

    text = render("jobs", template, parse_values(args))
    try:
        validate(yaml.safe_load(text))
    except Exception as exc:  # voluptuous.Invalid and YAML errors alike
        die(f"{template} rendered to a job LAVA refuses: {exc}")
    write(out, text)


def cmd_device(job_file, out):
    from lava_common.schemas.device import validate

    try:
        with open(job_file, encoding="utf-8") as f:
            job = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        die(f"cannot read the job {job_file}: {exc}", 2)
    dtype = job.get("device_type", "")
    # undefined context variables take the template's defaults
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(
        os.path.join(HERE, "devices")), keep_trailing_newline=True)
    try:
        tmpl = env.get_template(dtype + ".jinja2")
    except jinja2.TemplateNotFound:
        die(f"{job_file}: no device description for device type '{dtype}' in lava/devices", 2)
    text = tmpl.render(**job.get("context", {}))
    try:
        validate(yaml.safe_load(text))
    except Exception as exc:
        die(f"the {dtype} device description LAVA refuses: {exc}")
    write(out, text)


def main(argv):
    if len(argv) >= 4 and argv[1] == "job":
        cmd_job(argv[2], argv[3], argv[4:])
    elif len(argv) == 4 and argv[1] == "device":
        cmd_device(argv[2], argv[3])
    else:
        die("usage: render.py job TEMPLATE OUT [NAME=VALUE | NAME+=ITEM]... | device JOB OUT", 2)


if __name__ == "__main__":
    main(sys.argv)
