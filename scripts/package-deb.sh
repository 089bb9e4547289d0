#!/usr/bin/env bash
# Builds the Debian package: the binary, the hardened systemd unit, the example config under
# /etc/rentsync/, the man page and shell completions (both generated from the binary's own
# command definitions). Prints the package's path as the only line on stdout.
#   scripts/package-deb.sh [BINARY=target/release/rentsync]
# The binary is built by cargo beforehand (`cargo build --release`); CI packages the debug build
# its tests already made. dpkg-deb does the packing: no packaging tool to compile first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/rentsync}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release first" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
root=target/debian/rentsync_${version}_${arch}
rm -rf "$root" && mkdir -p "$root/DEBIAN"

install -D -m 0755 "$bin" "$root/usr/bin/rentsync"
strip --strip-debug "$root/usr/bin/rentsync" 2>/dev/null || true
# The unit as shipped in systemd/, pointing at the packaged binary.
install -d "$root/lib/systemd/system"
sed 's#/usr/local/bin/rentsync#/usr/bin/rentsync#' systemd/rentsync.service > "$root/lib/systemd/system/rentsync.service"
chmod 0644 "$root/lib/systemd/system/rentsync.service"
# The example config, a conffile: the operator copies it to rentsync.toml and edits that.
install -D -m 0644 config/rentsync.example.toml "$root/etc/rentsync/rentsync.example.toml"
install -d -m 0750 "$root/etc/rentsync/keys"
install -d "$root/usr/share/man/man1"
"$bin" man | gzip -9n > "$root/usr/share/man/man1/rentsync.1.gz"
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d"
"$bin" completions bash > "$root/usr/share/bash-completion/completions/rentsync"
"$bin" completions zsh > "$root/usr/share/zsh/vendor-completions/_rentsync"
"$bin" completions fish > "$root/usr/share/fish/vendor_completions.d/rentsync.fish"
install -D -m 0644 README.md "$root/usr/share/doc/rentsync/README.md"
install -m 0644 README.zh-CN.md "$root/usr/share/doc/rentsync/README.zh-CN.md"
install -m 0644 systemd/README.md "$root/usr/share/doc/rentsync/SYSTEMD.md"
cat > "$root/usr/share/doc/rentsync/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: rentsync
License: Apache-2.0
Files: *
Copyright: the rentsync authors
License: Apache-2.0
 On Debian systems, the full text is in /usr/share/common-licenses/Apache-2.0.
EOF

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: rentsync
Version: $version
Architecture: $arch
Maintainer: rentsync authors <rentsync@localhost>
Installed-Size: $size
Depends: libc6
Recommends: systemd
Section: net
Priority: optional
Homepage: https://github.com/rentsync/rentsync
Description: publishes apartment operators' rental listings to the Alipay rental platform
 A daemon that reads changed listings from the operator's database (PostgreSQL, MySQL/MariaDB
 or SQLite), turns photos into JPEGs within the platform's limit, syncs rooms and their
 on/off-shelf state under rate limits, takes the platform's callbacks and follows Tmall
 Haofang leases. See /usr/share/doc/rentsync/README.md.
EOF
echo "/etc/rentsync/rentsync.example.toml" > "$root/DEBIAN/conffiles"
# The unit runs as a dynamic user: no account to create. Not enabled or started: it needs
# /etc/rentsync/rentsync.toml and keys first (systemd/README.md).
cat > "$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
exit 0
EOF
cat > "$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
exit 0
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
dpkg-deb --root-owner-group --build "$root" "$root.deb" >/dev/null
echo "$PWD/$root.deb"
