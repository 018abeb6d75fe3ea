# shellcheck shell=bash
# Shell helpers about this machine's apt sources, sourced by the scripts beside it.

# Print the URIs of the first binary entry that carries suite $1 (deb822 or one-line style).
binary_uris() {
    local SUITE="$1" f uris
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        uris=$(awk -v suite="$SUITE" '
            function flush() {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !done) {
                    print uris; done = 1
                }
                types = ""; suites = ""; uris = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            tolower($1) == "types:"  { $1 = ""; types = $0 }
            tolower($1) == "suites:" { $1 = ""; gsub(/^[ \t]+|[ \t]+$/, ""); suites = $0 }
            tolower($1) == "uris:"   { $1 = ""; gsub(/^[ \t]+|[ \t]+$/, ""); uris = $0 }
            END { flush() }
        ' "$f")
        if [[ -n "$uris" ]]; then echo "$uris"; return 0; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        # deb [options] URI suite components...
        uris=$(awk -v suite="$SUITE" '
            $1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "$f")
        if [[ -n "$uris" ]]; then echo "$uris"; return 0; fi
    done
    return 1
}
