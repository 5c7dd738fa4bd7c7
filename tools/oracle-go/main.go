// BuildKit's libraries and the pieces of Go's standard library that BuildKit's answers depend
// on, asked of Go 1.24 (as Debian 13 packages them, tools/go-trixie.sh) for the tests
// reference::tests::against_go, go_std::unicode_against_go and go_std::lines_against_go in
// crates/analysis and json::tests::against_go and shell::tests::patterns_against_go in
// crates/syntax: stagecraft's ports of them are checked against them.
//
// `go run main.go unicode` prints one JSON object describing every code point: the ranges where
// unicode.IsSpace, unicode.IsLetter, unicode.IsDigit and strconv.IsPrint hold, the code points
// unicode.ToLower and unicode.ToUpper (what strings.ToLower and strings.ToUpper do rune by rune)
// change, with what they change them to, and the code points outside ASCII that
// strings.EqualFold takes for an ASCII letter, with the letter (lower case), and the names of the
// Unicode classes regexp knows (`\pL`, `\p{Greek}`).
//
// `go run main.go lines` reads one JSON array ["kind", "text"] per line and prints one JSON
// object per line, for these kinds:
//   - "reference": an image reference, as distribution/reference and go-digest read it
//     ({"named", "context", "digest"}: see below);
//   - "duration": time.ParseDuration ({"ns": n} or {"error": message});
//   - "bool": strconv.ParseBool ({"value": v} or {"error": ...});
//   - "quote": strconv.Quote of the bytes the text holds in hexadecimal ({"quoted": q});
//   - "json": what BuildKit's parseJSON makes of an exec form with encoding/json ({"kind":
//     "strings", "values": [...]}, "not strings" or "not array");
//   - "shellpattern": a pattern of ${a#p} or ${a/p/r}, made into a regular expression as
//     BuildKit's shell lexer makes it and run with regexp ({"error": message} or {"find":
//     [start, end] or null, "replaced": text});
//   - "ram": a tmpfs size as go-units' RAMInBytes reads it ({"ok": bool});
//   - "platform": a platform as containerd's platforms.Parse reads it and platforms.Normalize
//     normalises it ({"os", "os_version", "os_features", "architecture", "variant",
//     "format_all"} or {"error": message});
//   - "clean": path.Clean ({"cleaned": path});
//   - "expose_ip": an EXPOSE port's address as BuildKit's normalizeExposedPort reads it with
//     net.SplitHostPort and net.ParseIP ({"error": message} or {});
//   - "signal": a STOPSIGNAL value as BuildKit's dispatchStopSignal checks it, with
//     moby/sys/signal's ParseSignal on Linux ({"ok": bool}).
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/scanner"
	"time"
	"unicode"
	"unicode/utf8"

	// Linked into BuildKit: go-digest calls an algorithm available only when its hash is.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/docker/go-units"
	"github.com/moby/sys/signal"
	"github.com/opencontainers/go-digest"
)

func ranges(pred func(rune) bool) [][2]rune {
	var out [][2]rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !pred(r) {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == r-1 {
			out[n-1][1] = r
		} else {
			out = append(out, [2]rune{r, r})
		}
	}
	return out
}

func mapping(f func(rune) rune) [][2]rune {
	var out [][2]rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if utf8.ValidRune(r) && f(r) != r {
			out = append(out, [2]rune{r, f(r)})
		}
	}
	return out
}

func unicodeTables() {
	var folds [][2]rune
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		for a := 'a'; a <= 'z'; a++ {
			if strings.EqualFold(string(r), string(a)) {
				folds = append(folds, [2]rune{r, a})
			}
		}
	}
	// The names regexp's \pX and \p{Name} know (its unicodeTable): "Any", then the
	// categories' and the scripts'.
	groups := []string{"Any"}
	for name := range unicode.Categories {
		groups = append(groups, name)
	}
	for name := range unicode.Scripts {
		groups = append(groups, name)
	}
	sort.Strings(groups)
	out := map[string]interface{}{
		"groups":  groups,
		"space":   ranges(unicode.IsSpace),
		"letter":  ranges(unicode.IsLetter),
		"digit":   ranges(unicode.IsDigit),
		"print":   ranges(strconv.IsPrint),
		"lower":   mapping(unicode.ToLower),
		"upper":   mapping(unicode.ToUpper),
		"fold":    folds,
		"version": unicode.Version,
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}

// shellPatternRegex: the expression BuildKit's shell lexer (convertShellPatternToRegex) builds
// from a pattern: `*` any text (shortest first unless greedy), `?` one character, `\` before
// `*`, `?` or `\` that character, before `}` or `/` nothing (the lexer's own escape), before
// anything else an error; the expression's other special characters escaped. Written here
// after BuildKit's code, which Debian does not package; the expression is Go's regexp's.
func shellPatternRegex(pattern string, greedy, anchored bool) (*regexp.Regexp, error) {
	var s scanner.Scanner
	s.Init(strings.NewReader(pattern))
	var out strings.Builder
	if anchored {
		out.WriteByte('^')
	}
	star := ".*?"
	if greedy {
		star = ".*"
	}
	for tok := s.Next(); tok != scanner.EOF; tok = s.Next() {
		switch tok {
		case '*':
			out.WriteString(star)
			continue
		case '?':
			out.WriteByte('.')
			continue
		case '\\':
			if s.Peek() == '}' || s.Peek() == '/' {
				continue
			}
			out.WriteRune('\\')
			tok = s.Next()
			if tok != '*' && tok != '?' && tok != '\\' {
				return nil, fmt.Errorf("invalid escape '\\%c'", tok)
			}
		case '[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$':
			out.WriteByte('\\')
		}
		out.WriteRune(tok)
	}
	return regexp.Compile(out.String())
}

func lines() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	for in.Scan() {
		var q [2]string
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			fmt.Fprintln(os.Stderr, "oracle-go: a JSON array [kind, text] per line:", err)
			os.Exit(2)
		}
		r := map[string]interface{}{}
		switch q[0] {
		case "reference":
			// An image reference as BuildKit reads one (distribution/reference 0.6.0 and
			// go-digest 1.0.0): the error of ParseNormalizedNamed ("" when it parses); the key
			// dockerui.Client.NamedContext looks a named build context up by (FamiliarString
			// without ":latest"), or its error; the error of digest.Parse ("" when it parses).
			named, err := reference.ParseNormalizedNamed(q[1])
			r["named"] = errText(err)
			if err != nil {
				r["context"] = fmt.Sprintf("invalid context name %s: %v", q[1], err)
			} else {
				r["context"] = strings.TrimSuffix(reference.FamiliarString(named), ":latest")
			}
			_, err = digest.Parse(q[1])
			r["digest"] = errText(err)
		case "duration":
			if d, err := time.ParseDuration(q[1]); err != nil {
				r["error"] = err.Error()
			} else {
				r["ns"] = int64(d)
			}
		case "bool":
			if v, err := strconv.ParseBool(q[1]); err != nil {
				r["error"] = err.Error()
			} else {
				r["value"] = v
			}
		case "json":
			// BuildKit's parseJSON, after its check for a leading `[`: an array of strings (the
			// exec form), valid JSON with another element (the file is refused), or not JSON
			// (the shell form).
			var elems []interface{}
			if err := json.Unmarshal([]byte(q[1]), &elems); err != nil {
				r["kind"] = "not array"
				break
			}
			strs := []string{}
			for _, e := range elems {
				s, ok := e.(string)
				if !ok {
					r["kind"] = "not strings"
					break
				}
				strs = append(strs, s)
			}
			if r["kind"] == nil {
				r["kind"] = "strings"
				r["values"] = strs
			}
		case "expose_ip":
			// The address part of an EXPOSE port, as BuildKit's normalizeExposedPort reads it.
			ip := q[1]
			if ip != "" && ip[0] == '[' {
				rawIP, _, err := net.SplitHostPort(ip + ":")
				if err != nil {
					r["error"] = fmt.Sprintf("invalid IP address %s: %v", ip, err)
					break
				}
				ip = rawIP
			}
			if ip != "" && net.ParseIP(ip) == nil {
				r["error"] = fmt.Sprintf("invalid IP address: %s", ip)
			}
		case "shellpattern":
			// A pattern of ${a#p}, ${a%p} or ${a/p/r} (the text: a JSON object with the
			// pattern, whether its stars are greedy, whether it is anchored, a value and a
			// replacement template), as BuildKit's shell lexer reads it: the expression's
			// error, or its leftmost match (FindStringIndex) and, unanchored, ReplaceAllString.
			var c struct {
				Pattern, Value, Template string
				Greedy, Anchored         bool
			}
			if err := json.Unmarshal([]byte(q[1]), &c); err != nil {
				panic(err)
			}
			re, err := shellPatternRegex(c.Pattern, c.Greedy, c.Anchored)
			if err != nil {
				r["error"] = err.Error()
				break
			}
			r["find"] = re.FindStringIndex(c.Value)
			if !c.Anchored {
				r["replaced"] = re.ReplaceAllString(c.Value, c.Template)
			}
		case "ram":
			_, err := units.RAMInBytes(q[1])
			r["ok"] = err == nil
		case "platform":
			p, err := platforms.Parse(q[1])
			if err != nil {
				r["error"] = err.Error()
				break
			}
			p = platforms.Normalize(p)
			r["os"], r["os_version"], r["architecture"], r["variant"] = p.OS, p.OSVersion, p.Architecture, p.Variant
			r["os_features"] = append([]string{}, p.OSFeatures...)
			r["format_all"] = platforms.FormatAll(p)
		case "signal":
			_, err := signal.ParseSignal(q[1])
			r["ok"] = err == nil
		case "clean":
			r["cleaned"] = path.Clean(q[1])
		case "quote":
			b, err := hex.DecodeString(q[1])
			if err != nil {
				panic(err)
			}
			r["quoted"] = strconv.Quote(string(b))
		default:
			fmt.Fprintln(os.Stderr, "oracle-go: unknown kind", q[0])
			os.Exit(2)
		}
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "unicode" {
		unicodeTables()
	} else if len(os.Args) == 2 && os.Args[1] == "lines" {
		lines()
	} else {
		fmt.Fprintln(os.Stderr, "usage: go run main.go unicode|lines")
		os.Exit(2)
	}
}
