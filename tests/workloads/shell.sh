#!/bin/sh
# POSIX shell + coreutils workload for the seccomp profile.  Prints "ok".
set -eu

d=$(mktemp -d /tmp/shell-XXXXXX)
# no EXIT trap: bash can run it in the background job killed below
fail() { echo "shell.sh: $*" >&2; rm -rf "$d"; exit 1; }

mkdir -p "$d/a/b"
printf 'pear\napple\nfig\nbanana\n' > "$d/a/fruit.txt"
cat "$d/a/fruit.txt" > "$d/a/copy.txt"
cp "$d/a/copy.txt" "$d/a/b/cp.txt"
mv "$d/a/b/cp.txt" "$d/a/b/mv.txt"
[ -f "$d/a/b/mv.txt" ] || fail mv
[ ! -e "$d/a/b/cp.txt" ] || fail mv2

first=$(sort "$d/a/fruit.txt" | head -n 1)
[ "$first" = apple ] || fail "sort|head: $first"
last=$(sort -r "$d/a/fruit.txt" | tail -n 1)
[ "$last" = apple ] || fail "sort|tail: $last"
n=$(wc -l < "$d/a/fruit.txt" | tr -d ' ')
[ "$n" = 4 ] || fail "wc: $n"
g=$(grep -c an "$d/a/fruit.txt")
[ "$g" = 1 ] || fail "grep: $g"
s=$(sed -n 's/^f\(i\)g$/F\1G/p' "$d/a/fruit.txt")
[ "$s" = FiG ] || fail "sed: $s"
if command -v awk >/dev/null 2>&1; then
    a=$(awk 'length($0) > 4 { c++ } END { print c }' "$d/a/fruit.txt")
    [ "$a" = 2 ] || fail "awk: $a"
fi
f=$(find "$d" -type f -name '*.txt' | wc -l | tr -d ' ')
[ "$f" = 3 ] || fail "find: $f"
ls -la "$d/a" > /dev/null
ls "$d/a/b" | grep -q mv.txt || fail ls

y=$(date +%Y)
[ "$y" -ge 2020 ] || fail "date: $y"
date -u > "$d/date.txt"
sleep 0.1

# subshell with its own cwd and variables
( cd "$d/a" && x=inner && echo "$x" > sub.txt )
[ "$(cat "$d/a/sub.txt")" = inner ] || fail subshell

# longer pipeline
p=$(cat "$d/a/fruit.txt" "$d/a/copy.txt" | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
[ "$p" = "2 " ] || fail "pipeline: $p"

# touch / chmod / links
touch "$d/a/new"
chmod 600 "$d/a/new"
[ "$(ls -l "$d/a/new" | cut -c1-10)" = "-rw-------" ] || fail chmod
ln -s fruit.txt "$d/a/sym"
[ "$(readlink "$d/a/sym")" = fruit.txt ] || fail "ln -s"
[ "$(head -c 4 "$d/a/sym")" = pear ] || fail "read via symlink"

# background job, kill, wait
sleep 10 &
bg=$!
kill "$bg"
wait "$bg" 2>/dev/null && fail "kill" || :

rm "$d/a/copy.txt"
rm -r "$d/a/b"
[ ! -e "$d/a/b" ] || fail rm

rm -rf "$d"
[ ! -e "$d" ] || fail "rm -rf"
echo ok
