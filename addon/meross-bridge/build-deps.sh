#!/bin/sh
# ==================================================================================================
# Installs what compiling meross-bridge and its mosquitto plugin (broker/meross-auth.so) needs, in
# the add-on image's build stage (Alpine, run by the Dockerfile). The Alpine packages match the
# Debian ones in scripts/install-deps.sh:
#
#   Debian                                     Alpine
#   build-essential, cmake, pkg-config, git    build-base, cmake, pkgconf, git
#   libssl-dev                                 openssl-dev
#   libmosquitto-dev, mosquitto-dev            mosquitto-dev (libmosquitto; mosquitto_plugin.h and
#                                                             mosquitto_broker.h for the plugin)
#   rapidjson-dev                              rapidjson-dev
#   libspdlog-dev, libfmt-dev                  spdlog-dev, fmt-dev
#   libcurl4-openssl-dev                       curl-dev
#   libhowardhinnant-date-dev, tzdata          date-dev, tzdata          (see below)
#   libtomlplusplus-dev                        tomlplusplus-dev          (see below)
#   libcli11-dev                               cli11                     (see below)
#   libboost-test-dev, libbenchmark-dev        none: tests and benchmarks are not built
#   (scanelf, lists the runtime libraries)     pax-utils
#
# The last three could not be checked against Alpine's index when this was written (the project's
# machines reach no Alpine mirror). Each is taken from Alpine when the package exists and brings
# its CMake package file; otherwise the version Debian 12 ships is built from its upstream release
# tag into /usr/local (the Dockerfile then copies any /usr/local library into the image).
# ==================================================================================================
set -eu

apk add --no-cache \
  build-base cmake pkgconf git linux-headers pax-utils tzdata \
  openssl-dev mosquitto-dev rapidjson-dev spdlog-dev fmt-dev curl-dev

# has_cmake_package NAME: a NAMEConfig.cmake or name-config.cmake is installed.
has_cmake_package() {
  find /usr/lib/cmake /usr/share/cmake /usr/local/lib/cmake /usr/local/share/cmake \
    -maxdepth 2 \( -iname "$1Config.cmake" -o -iname "$1-config.cmake" \) 2>/dev/null | grep -q .
}

# dependency APK_PACKAGE CMAKE_NAME GIT_URL TAG [CMAKE_ARGS...]
dependency() {
  package=$1 name=$2 url=$3 tag=$4
  shift 4
  if apk add --no-cache "$package" && has_cmake_package "$name"; then
    echo "build-deps: $name from Alpine package $package"
    return 0
  fi
  echo "build-deps: no usable Alpine package $package; building $name $tag from source"
  rm -rf "/tmp/$name"
  git clone --depth 1 --branch "$tag" "$url" "/tmp/$name"
  cmake -S "/tmp/$name" -B "/tmp/$name/build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr/local "$@"
  cmake --build "/tmp/$name/build" --parallel "$(nproc)"
  cmake --install "/tmp/$name/build"
  rm -rf "/tmp/$name"
  has_cmake_package "$name"
}

dependency cli11 CLI11 https://github.com/CLIUtils/CLI11.git v2.1.2 \
  -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF -DCLI11_BUILD_DOCS=OFF
dependency tomlplusplus-dev tomlplusplus https://github.com/marzer/tomlplusplus.git v3.3.0
dependency date-dev date https://github.com/HowardHinnant/date.git v3.0.1 \
  -DBUILD_TZ_LIB=ON -DUSE_SYSTEM_TZ_DB=ON -DBUILD_SHARED_LIBS=ON
