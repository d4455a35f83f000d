#!/usr/bin/env bash
# check-nic-layers.sh LIBRXQ.a lib/nic/meson.build: every lib/nic file calls only into its own
# layer and the layers below it, as the layer list at the top of lib/nic/meson.build says, and no
# two files call each other. Reads the symbols of the built objects (nm), so what is checked is
# what the compiler produced, not what the headers promise.
set -euo pipefail
lib=$1
layers=$2

nm "$lib" | awk -v layers="$layers" '
BEGIN {
	# "#   3 sys.c   transport ..." -> layer[sys.c] = 3
	while ((getline line < layers) > 0) {
		if (line !~ /^#[ \t]+[0-9]+[ \t]+[a-z_]+\.c/)
			continue
		n = split(line, w, /[ \t]+/)
		for (i = 3; i <= n && w[i] ~ /^[a-z_]+\.c$/; i++)
			layer[w[i]] = w[2]
	}
	for (f in layer)
		found = 1
	if (!found) {
		print "no layer list found in " layers > "/dev/stderr"
		nolist = 1
		exit
	}
}
/:$/ {
	file = ""
	if (match($0, /\/nic_[a-z_]+\.c\.o:$/))
		file = substr($0, RSTART + 5, RLENGTH - 8)
	if (file != "" && !(file in layer)) {
		printf "lib/nic/%s is in no layer of %s\n", file, layers > "/dev/stderr"
		bad = 1
	}
	next
}
file != "" && NF == 3 && $2 ~ /^[TDRB]$/ { def[$3] = file }
file != "" && NF == 2 && $1 == "U" { use[file, $2] = 1 }
END {
	if (nolist)
		exit 2
	if (bad)
		exit 1
	for (k in use) {
		split(k, p, SUBSEP)
		from = p[1]
		if (!(p[2] in def) || def[p[2]] == from)
			continue
		to = def[p[2]]
		calls[from, to] = p[2]
	}
	for (k in calls) {
		split(k, p, SUBSEP)
		if (layer[p[2]] + 0 > layer[p[1]] + 0) {
			printf "%s (layer %s) calls %s in %s (layer %s)\n", p[1], layer[p[1]],
			       calls[k], p[2], layer[p[2]] > "/dev/stderr"
			bad = 1
		} else if ((p[2], p[1]) in calls && p[1] < p[2]) {
			printf "%s and %s call each other (%s, %s)\n", p[1], p[2], calls[k],
			       calls[p[2], p[1]] > "/dev/stderr"
			bad = 1
		}
	}
	exit bad
}'
