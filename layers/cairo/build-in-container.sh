#!/usr/bin/env bash
# Build the cairo layer's contents INSIDE the Amazon Linux build image that matches the functions'
# runtime and architecture. It needs Docker, so it runs in the deploy pipeline, not on a laptop:
#
#   docker run --rm --platform linux/arm64 -v "$PWD:/src" -w /src/layers/cairo \
#     public.ecr.aws/sam/build-python3.13:latest-arm64 ./build-in-container.sh build
#
# (repository root as the working directory; python3.13/arm64 as in template.yaml). It writes
#   build/lib/      libcairo.so.2 and every library it loads, except glibc's (the runtime has them)
#   build/MANIFEST  the RPM each library came from, for the record
# and then checks the result with check_layer.py. `make build-CairoLayer` (sam build) packages it
# with the fonts.
# Every library comes from one distribution release: mixing RPMs of different releases is how
# "undefined symbol" errors happen at run time.
set -euo pipefail
cd "$(dirname "$0")"

out="${1:?usage: build-in-container.sh OUT_DIR}"
runtime="${RUNTIME:-python3.13}"
case "$(uname -m)" in
  aarch64) arch=arm64 ;;
  x86_64) arch=x86_64 ;;
  *) echo "error: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
if ! grep -qs "Amazon Linux" /etc/system-release; then
  echo "error: run this inside an Amazon Linux build image (see the comment at the top)" >&2
  exit 2
fi
if command -v dnf >/dev/null; then pm=dnf; else pm=yum; fi   # AL2023 / AL2

"$pm" install -y cairo >&2

rm -rf "$out"
mkdir -p "$out/lib"
cairo=$(ldconfig -p | awk '$1 == "libcairo.so.2" { print $NF; exit }')
[[ -n "$cairo" ]] || { echo "error: libcairo.so.2 not found after installing cairo" >&2; exit 1; }

# glibc's own libraries stay out: the runtime provides them, and a second copy breaks the process
glibc='^(libc|libm|libdl|libpthread|librt|libutil|libresolv|libanl)\.so\.|^ld-linux'
{
  echo "$cairo"
  ldd "$cairo" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
} | sort -u | while read -r path; do
  name=$(basename "$path")
  if [[ "$name" =~ $glibc ]]; then continue; fi
  # by soname, dereferenced: what the loader asks for is exactly what the layer holds
  cp -L "$path" "$out/lib/$name"
  printf '%s\t%s\n' "$name" "$(rpm -qf "$path")" >> "$out/MANIFEST"
done

python3 check_layer.py "$out" --runtime "$runtime" --arch "$arch" --no-fonts
