#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh Debian machine, then runs the
# whole Maven test suite. Used as is by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests use: Java 17 and Maven to build, Prometheus for the dashboard test.
needed=()
command -v java >/dev/null 2>&1 || needed+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || needed+=(maven)
command -v prometheus >/dev/null 2>&1 || needed+=(prometheus)
if [[ ${#needed[@]} -gt 0 ]]; then
  echo "Installing Debian packages: ${needed[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}"
fi

# Keep libtorch and ONNX Runtime from spinning OpenMP threads against each other on small machines.
export OMP_WAIT_POLICY=PASSIVE
export ORT_DISABLE_TELEMETRY=1
export OPT_OUT_TRACKING=true

mvn -B -ntp install "$@"
