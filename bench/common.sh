# Helpers shared by bench/run.sh and bench/scale.sh (sourced, not run).

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# build_postgate OUT_DIR: builds cmd/postgate and the bench helpers from the
# working tree into OUT_DIR; when the working tree does not build (other work
# in progress), builds the last commit instead and says so on stderr and in
# $OUT_DIR/built-from.
build_postgate() {
	local out=$1
	if go build -o "$out/postgate" ./cmd/postgate 2>"$out/build.log"; then
		echo "working tree ($(git rev-parse --short HEAD 2>/dev/null || echo unknown) + local changes)" >"$out/built-from"
	else
		echo "note: the working tree does not build ($(head -2 "$out/build.log" | tr '\n' ' ')); benchmarking HEAD" >&2
		rm -rf "$out/src" && mkdir -p "$out/src"
		git archive HEAD | tar -x -C "$out/src"
		(cd "$out/src" && go build -o "$out/postgate" ./cmd/postgate)
		echo "commit $(git rev-parse --short HEAD) (the working tree did not build)" >"$out/built-from"
	fi
}
