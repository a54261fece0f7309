#!/usr/bin/env python3
"""Static checks of the Home Assistant add-on, without Docker or network.

    validate_addon.py REPO_ROOT

1. config.yaml against the add-on linter's JSON schema (addon/ci/schemas, Draft-07), and
   build.yaml/build.json against the build schema if such a file exists.
2. The linter rules (frenck/action-addon-linter lint.py) that apply here: no key set to its
   default value, 64-bit arches only, no `watchdog`; plus the add-on's own rules: init false,
   mqtt:want, and the same version in config.yaml, CHANGELOG.md and the CMake project.
3. options/schema: every option typed, every type well-formed in the Supervisor's mini-language,
   every default valid for its type, optional (`?`) options without defaults, every option
   translated in translations/en.yaml.
4. Files: the store files exist, icon.png is 128x128 and logo.png 250x100, the three s6-rc
   services (init-meross, device-broker, meross-bridge) have their type, dependencies,
   registration and executable scripts, repository.yaml has a name and the project's URL, nothing
   is vendored, and no other file in the repository is called config.yaml/.yml/.json (the
   Supervisor would take it for an add-on). Published ports have a description and a translation.
5. Dockerfile: HA base image with a BUILD_FROM default, the source cloned from the project's URL at
   v${BUILD_VERSION}, the add-on's CMake options and targets (bridge and auth plugin), mosquitto
   and the plugin in the image, the app labels, and an Alpine package (in the Dockerfile or the
   build-deps.sh it runs) for every dependency that cmake/Dependencies.cmake requires.
6. DOCS.md covers what issues 6 and 13 ask for (smoke test of headings and key terms).
"""
import json
import os
import re
import struct
import subprocess
import sys

import jsonschema
import yaml

ADDON = "addon/meross-bridge"
SCHEMAS = "addon/ci/schemas"
errors = []


def error(msg):
    errors.append(msg)


def read_text(path):
    """The file's text, or None when there is no such file."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def code_of(text):
    """The lines of a shell-like file that are not comments."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def validate_schema(doc, schema_file, label):
    with open(schema_file, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in e.path) or "(top level)"
        error(f"{label}: {where}: {e.message}")
    return schema


# --- 2. linter rules --------------------------------------------------------------------------
def lint_config(config, schema, root):
    props = schema["properties"]
    for key, value in config.items():
        if key in props and "default" in props[key] and props[key]["default"] == value:
            error(f"config.yaml: '{key}' should be removed, it uses a default value")
    arch = set(config.get("arch", []))
    if arch != {"aarch64", "amd64"}:
        error(f"config.yaml: arch must be exactly aarch64 and amd64 (got {sorted(arch)})")
    if "watchdog" in config:
        error("config.yaml: 'watchdog' is obsolete, use a Dockerfile HEALTHCHECK")
    if config.get("init") is not False:
        error("config.yaml: init must be false (the base image's s6-overlay must be PID 1)")
    if "mqtt:want" not in config.get("services", []):
        error("config.yaml: services must contain mqtt:want")
    if not re.fullmatch(r"[a-z0-9_]+", str(config.get("slug", ""))):
        error("config.yaml: slug must be lowercase letters, digits and _")

    version = str(config.get("version", ""))
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*meross-bridge\s+VERSION\s+([0-9.]+)", f.read())
    if not m:
        error("CMakeLists.txt: no project(meross-bridge VERSION x.y.z)")
    elif m.group(1) != version:
        error(f"config.yaml version {version} differs from the CMake project version {m.group(1)}")
    changelog = read_text(os.path.join(root, ADDON, "CHANGELOG.md"))
    m = re.search(r"^## \[?([0-9][0-9A-Za-z.+-]*)\]?", changelog, re.M) if changelog else None
    if not m or m.group(1) != version:
        error(f"CHANGELOG.md: the newest entry must be '## {version}'")


# --- 3. options and schema --------------------------------------------------------------------
TYPE = re.compile(
    r"^(?P<type>str|bool|int|float|email|url|password|port|match|list|device)"
    r"(?:\((?P<arg>.*)\))?(?P<optional>\?)?$"
)


def parse_type(spec, where):
    m = TYPE.match(spec)
    if not m:
        error(f"config.yaml: schema {where}: '{spec}' is not a Supervisor option type")
        return None
    t, arg = m.group("type"), m.group("arg")
    if t == "match":
        try:
            re.compile(arg or "")
        except re.error as e:
            error(f"config.yaml: schema {where}: bad regular expression: {e}")
            return None
    if t in ("int", "float") and arg is not None:
        if not re.fullmatch(r"-?[0-9.]*,-?[0-9.]*", arg):
            error(f"config.yaml: schema {where}: bad range '{arg}'")
            return None
    return t, arg, bool(m.group("optional"))


def value_fits(t, arg, value):
    if t in ("str", "password", "email", "url", "device"):
        return isinstance(value, str)
    if t == "bool":
        return isinstance(value, bool)
    if t == "port":
        return type(value) is int and 1 <= value <= 65535
    if t in ("int", "float"):
        if t == "int" and type(value) is not int:
            return False
        if t == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return False
        if arg:
            lo, hi = arg.split(",")
            if lo and value < float(lo):
                return False
            if hi and value > float(hi):
                return False
        return True
    if t == "match":
        return isinstance(value, str) and re.match(arg, value) is not None
    if t == "list":
        return value in arg.split("|")
    return False


def check_option(name, spec, options, where):
    """spec is a type string, a one-element list, or a dict (list of dicts)."""
    if isinstance(spec, list):
        if len(spec) != 1:
            error(f"config.yaml: schema {where} must be a list of one element type")
            return
        inner = spec[0]
        if name in options:
            if not isinstance(options[name], list):
                error(f"config.yaml: option {where} must default to a list")
                return
            for i, item in enumerate(options[name]):
                check_value(inner, item, f"{where}[{i}]")
        else:
            error(f"config.yaml: list option {where} needs a default (e.g. [])")
        if isinstance(inner, dict):
            for key, sub in inner.items():
                if not isinstance(sub, str):
                    error(f"config.yaml: schema {where}.{key}: nesting deeper than two levels")
                else:
                    parse_type(sub, f"{where}.{key}")
        else:
            parse_type(inner, f"{where}[]")
        return
    if not isinstance(spec, str):
        error(f"config.yaml: schema {where}: unsupported form")
        return
    parsed = parse_type(spec, where)
    if not parsed:
        return
    t, arg, optional = parsed
    if optional and name in options:
        error(f"config.yaml: optional option {where} ('?') must not have a default")
    if not optional and name not in options:
        error(f"config.yaml: option {where} has no default, so the add-on could not start unset")
    if name in options and options[name] is not None and not value_fits(t, arg, options[name]):
        error(f"config.yaml: default of {where} does not fit its type '{spec}'")


def check_value(spec, value, where):
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            error(f"config.yaml: {where} must be an object")
            return
        for key, sub in spec.items():
            parsed = parse_type(sub, f"{where}.{key}") if isinstance(sub, str) else None
            if not parsed:
                continue
            t, arg, optional = parsed
            if key not in value:
                if not optional:
                    error(f"config.yaml: {where} lacks mandatory '{key}'")
            elif not value_fits(t, arg, value[key]):
                error(f"config.yaml: {where}.{key} does not fit '{sub}'")
        for key in value:
            if key not in spec:
                error(f"config.yaml: {where} has '{key}', which the schema does not define")
    else:
        parsed = parse_type(spec, where)
        if parsed and not value_fits(parsed[0], parsed[1], value):
            error(f"config.yaml: {where} does not fit '{spec}'")


def check_options(config, addon_dir):
    options = config.get("options", {}) or {}
    schema = config.get("schema", {}) or {}
    for name in options:
        if name not in schema:
            error(f"config.yaml: option '{name}' has no schema entry")
    for name, spec in schema.items():
        check_option(name, spec, options, name)
    tr = load_yaml(os.path.join(addon_dir, "translations", "en.yaml")) or {}
    conf = tr.get("configuration", {}) or {}
    for name in schema:
        entry = conf.get(name)
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("description"):
            error(f"translations/en.yaml: configuration.{name} needs a name and a description")
    for name in conf:
        if name not in schema:
            error(f"translations/en.yaml: configuration.{name} is not an option")
    # Published ports: a description in config.yaml and a translation (the Network section).
    ports = config.get("ports", {}) or {}
    descriptions = config.get("ports_description", {}) or {}
    network = tr.get("network", {}) or {}
    for port in ports:
        if not descriptions.get(port):
            error(f"config.yaml: port {port} needs a ports_description")
        if not network.get(port):
            error(f"translations/en.yaml: network.{port} needs a description")
    if "8883/tcp" not in ports:
        error("config.yaml: the devices' TLS port 8883/tcp must be published (ports)")
    if "device_port" not in schema:
        error("config.yaml: option device_port (the devices' TLS listener) is missing")


# --- 4. files ---------------------------------------------------------------------------------
def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def repo_files(root):
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True, text=True).stdout
        return [line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")]
            found += [os.path.relpath(os.path.join(d, f), root) for f in files]
        return found


def check_files(root, addon_dir):
    for name in ["config.yaml", "Dockerfile", "README.md", "DOCS.md", "CHANGELOG.md",
                 "icon.png", "logo.png", "translations/en.yaml"]:
        if not os.path.isfile(os.path.join(addon_dir, name)):
            error(f"{ADDON}/{name} is missing")
    for name, want in (("icon.png", (128, 128)), ("logo.png", (250, 100))):
        path = os.path.join(addon_dir, name)
        if os.path.isfile(path) and png_size(path) != want:
            error(f"{name}: {png_size(path)} is not a {want[0]}x{want[1]} PNG")
    s6 = os.path.join(addon_dir, "rootfs/etc/s6-overlay/s6-rc.d")
    for name in S6_EXECUTABLE:
        if not os.access(os.path.join(s6, name), os.X_OK):
            error(f"rootfs s6-rc.d/{name} must be executable (git update-index --chmod=+x)")
    for service, (kind, deps) in S6_SERVICES.items():
        for name in [f"{service}/type", f"user/contents.d/{service}"] + [
                f"{service}/dependencies.d/{d}" for d in deps]:
            if not os.path.isfile(os.path.join(s6, name)):
                error(f"rootfs s6-rc.d/{name} is missing")
        type_text = read_text(os.path.join(s6, service, "type"))
        if type_text is not None and type_text.strip() != kind:
            error(f"rootfs s6-rc.d/{service}/type must say {kind}")
    up = read_text(os.path.join(s6, "init-meross/up"))
    if up is None:
        error("rootfs s6-rc.d/init-meross/up is missing")
    elif up.strip() != "/etc/s6-overlay/s6-rc.d/init-meross/run":
        error("rootfs s6-rc.d/init-meross/up must run /etc/s6-overlay/s6-rc.d/init-meross/run")
    repo_yaml = os.path.join(root, "repository.yaml")
    repo = load_yaml(repo_yaml) if os.path.isfile(repo_yaml) else None
    if not isinstance(repo, dict) or not isinstance(repo.get("name"), str):
        error("repository.yaml needs a name")
    if not isinstance(repo, dict) or repo.get("url") != PROJECT_URL:
        error(f"repository.yaml: url must be the project's repository, {PROJECT_URL}")
    config = load_yaml(os.path.join(addon_dir, "config.yaml")) or {}
    if config.get("url") != PROJECT_URL:
        error(f"config.yaml: url must be {PROJECT_URL}")
    if os.path.exists(os.path.join(addon_dir, "src")):
        error(f"{ADDON}/src exists: the image clones the repository, nothing is vendored")
    own = f"{ADDON}/config.yaml"
    for path in repo_files(root):
        if re.search(r"(^|/)config\.(ya?ml|json)$", path) and path != own:
            error(f"{path}: the Supervisor searches the repository for config.yaml/.yml/.json "
                  "and would read this file as an add-on; rename it")


# The project's repository: repository.yaml `url`, config.yaml `url`, the Dockerfile's default
# MEROSS_SOURCE_URL and DOCS.md all name it.
PROJECT_URL = "https://github.com/meross-bridge/meross-bridge"
# s6-rc services: type and dependencies (besides the registration in user/contents.d).
S6_SERVICES = {
    "init-meross": ("oneshot", ["base"]),
    "device-broker": ("longrun", ["init-meross"]),
    "meross-bridge": ("longrun", ["init-meross", "device-broker"]),
}
S6_EXECUTABLE = ["init-meross/run", "device-broker/run", "device-broker/finish",
                 "meross-bridge/run", "meross-bridge/finish"]


# --- 5. Dockerfile ----------------------------------------------------------------------------
# find_package / pkg_check_modules name in cmake/Dependencies.cmake -> Alpine package that provides
# it (headers + CMake/pkg-config files). A new dependency fails this check until it is mapped here
# and added to the Dockerfile.
ALPINE = {
    "PkgConfig": "pkgconf",
    "OpenSSL": "openssl-dev",
    "RapidJSON": "rapidjson-dev",
    "date": "date-dev",
    "tomlplusplus": "tomlplusplus-dev",
    "spdlog": "spdlog-dev",
    "fmt": "fmt-dev",
    "CLI11": "cli11",
    "libmosquitto": "mosquitto-dev",
    "CURL": "curl-dev",
}
# Only needed for targets the add-on does not build (MEROSS_BUILD_TESTS/BENCH are OFF).
NOT_IN_IMAGE = {"Boost", "benchmark"}


def check_dockerfile(root, addon_dir):
    text = read_text(os.path.join(addon_dir, "Dockerfile"))
    if text is None:
        return
    code = code_of(text)
    if not re.search(r"^ARG BUILD_FROM=ghcr\.io/home-assistant/base:[0-9.]+$", code, re.M):
        error("Dockerfile: needs ARG BUILD_FROM=ghcr.io/home-assistant/base:<pinned tag>")
    if not re.search(r"^FROM \$\{BUILD_FROM\}", code, re.M):
        error("Dockerfile: the image must be FROM ${BUILD_FROM}")
    for opt in ["-DCMAKE_BUILD_TYPE=Release", "-DMEROSS_BUILD_TESTS=OFF",
                "-DMEROSS_BUILD_BENCH=OFF", "-DMEROSS_WERROR="]:
        if opt not in code:
            error(f"Dockerfile: the CMake configure step lacks {opt}")
    for label in ['io.hass.type="app"', "io.hass.version=", "io.hass.arch="]:
        if label not in code:
            error(f"Dockerfile: missing label {label}")
    if f"ARG MEROSS_SOURCE_URL={PROJECT_URL}" not in code:
        error(f"Dockerfile: the source must default to ARG MEROSS_SOURCE_URL={PROJECT_URL}")
    if "v${BUILD_VERSION}" not in code:
        error("Dockerfile: the source must be cloned at the tag v${BUILD_VERSION}")
    if not re.search(r"--target meross-bridge meross-pair meross_auth_plugin\b", code):
        error("Dockerfile: the build must make the targets meross-bridge, meross-pair and "
              "meross_auth_plugin")
    # meross-bridge runs the meross-pair beside it for the device commands and Add devices.
    if not re.search(r"install -m 0755 \S+/meross-pair /usr/bin/meross-pair\b", code):
        error("Dockerfile: meross-pair must be installed at /usr/bin/meross-pair, next to "
              "meross-bridge")
    if "/usr/lib/meross-bridge/meross-auth.so" not in code:
        error("Dockerfile: the plugin must be installed at /usr/lib/meross-bridge/meross-auth.so")
    if not re.search(r"apk add --no-cache mosquitto\b", code):
        error("Dockerfile: the runtime image must install Alpine's mosquitto (the device broker)")
    deps_script = read_text(os.path.join(addon_dir, "build-deps.sh"))
    if "build-deps.sh" in code and deps_script is not None:
        code += "\n" + code_of(deps_script)
    words = set(re.findall(r"[A-Za-z0-9_.+:-]+", code))
    with open(os.path.join(root, "cmake", "Dependencies.cmake"), encoding="utf-8") as f:
        deps = f.read()
    names = re.findall(r"find_package\(\s*(\w+)", deps)
    names += re.findall(r"pkg_check_modules\(\s*\w+\s+(?:REQUIRED\s+)?(?:IMPORTED_TARGET\s+)?([\w.+-]+)", deps)
    for name in names:
        if name in NOT_IN_IMAGE:
            continue
        pkg = ALPINE.get(name)
        if pkg is None:
            error(f"cmake/Dependencies.cmake requires '{name}', which has no Alpine package in "
                  "addon/ci/validate_addon.py ALPINE: map it and add it to the Dockerfile")
        elif pkg not in words:
            error(f"Dockerfile/build-deps.sh: '{name}' needs the Alpine package {pkg}")


# --- 6. DOCS.md -------------------------------------------------------------------------------
DOCS_MUST = [
    ("TLS listener", r"8883"),
    ("RSA server key", r"\bRSA\b"),
    ("EC keys fail", r"no shared cipher"),
    ("pairing", r"(?i)\bpair"),
    ("blinking = Bind", r"(?is)blink.*Bind"),
    ("wrong key = 5001", r"5001"),
    ("time zone", r"(?i)time ?zone"),
    ("energy", r"(?i)\benergy\b"),
    ("every option", None),
]


def check_docs(addon_dir, config):
    docs = read_text(os.path.join(addon_dir, "DOCS.md"))
    if docs is None:
        return
    for what, pattern in DOCS_MUST:
        if pattern is None:
            for name in config.get("schema", {}):
                if f"`{name}`" not in docs:
                    error(f"DOCS.md does not document the option `{name}`")
        elif not re.search(pattern, docs):
            error(f"DOCS.md does not cover: {what}")
    if re.search(r"TODO|TBD|FIXME", docs):
        error("DOCS.md still has a TODO/TBD/FIXME")
    if PROJECT_URL not in docs:
        error(f"DOCS.md must give the repository URL {PROJECT_URL}")
    if "fingerprint" not in docs or "mqtts://" not in docs:
        error("DOCS.md must show where the log gives the CA fingerprint and the mqtts:// URL")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = argv[1]
    addon_dir = os.path.join(root, ADDON)
    config = load_yaml(os.path.join(addon_dir, "config.yaml"))
    schema = validate_schema(config, os.path.join(root, SCHEMAS, "addon-config.schema.json"),
                             "config.yaml")
    for name in ("build.yaml", "build.yml", "build.json"):
        path = os.path.join(addon_dir, name)
        if os.path.isfile(path):
            validate_schema(load_yaml(path), os.path.join(root, SCHEMAS, "addon-build.schema.json"),
                            name)
    lint_config(config, schema, root)
    check_options(config, addon_dir)
    check_files(root, addon_dir)
    check_dockerfile(root, addon_dir)
    check_docs(addon_dir, config)
    for e in errors:
        print(f"addon: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"addon: config.yaml valid against the linter schema; options, translations, files, "
          f"Dockerfile and DOCS.md checked ({len(config.get('schema', {}))} options)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
