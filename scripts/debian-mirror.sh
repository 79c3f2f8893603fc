# Sourced by scripts/setup.sh and scripts/trixie-lavapipe.sh: prints the mirror this machine's own
# apt sources use for Debian's main archive (the first non-security Debian URI, deb822 `.sources`
# files first, then one-line `.list` entries), or nothing. No mirror is ever named in the repo: a
# machine behind its own mirror or proxy keeps using it.
debian_mirror() {
  {
    grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print ($2 ~ /^\[/) ? $3 : $2}'
  } | grep -v -e security -e '^$' | grep -i debian | head -n 1 || true
}
