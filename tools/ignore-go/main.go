// The oracle of tools/ignore_differential.py: BuildKit's own `.dockerignore` reading and
// matching, github.com/moby/patternmatcher 0.6.0 (the version BuildKit vendors) with its
// ignorefile package, on Go's own bufio.Scanner, filepath.Match and regexp, as Debian 13
// packages them (tools/go-trixie.sh; built in GOPATH mode). Reads the cases as JSON on stdin,
// `[{"rules": "...", "paths": ["..."]}, ...]`, and prints for each `{"error": "message",
// "line": N}` when BuildKit refuses the file, else `{"matches": [true | false | null]}`
// (`null`: matching that path fails), as the example `ignore_match` prints stagecraft's.
//
// BuildKit reads the file with ignorefile.ReadAll, builds a matcher with patternmatcher.New and
// asks MatchesOrParentMatches for each path; that is all this does. The one thing added is the
// line stagecraft reports with a refusal, which BuildKit's message does not give: found here by
// asking the same functions about parts of the file (see errorLine and patternLine).
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

type testCase struct {
	Rules string   `json:"rules"`
	Paths []string `json:"paths"`
}

func readAll(text string) ([]string, error) {
	return ignorefile.ReadAll(strings.NewReader(text))
}

// errorLine: the first line at which ReadAll of the file's start fails.
func errorLine(lines []string) int {
	for k := 1; k < len(lines); k++ {
		if _, err := readAll(strings.Join(lines[:k], "\n")); err != nil {
			return k
		}
	}
	return len(lines)
}

// patternLine: the line of ReadAll's pattern number i (from 0). A line gives ReadAll one
// pattern or none; a line after the first is read after a line "x" (one pattern), so that it is
// not taken for the file's first line (whose BOM is dropped).
func patternLine(lines []string, i int) int {
	seen := 0
	for k, l := range lines {
		text, before := l, 0
		if k > 0 {
			text, before = "x\n"+l, 1
		}
		got, _ := readAll(text)
		seen += len(got) - before
		if seen > i {
			return k + 1
		}
	}
	return 0
}

func answer(c testCase) map[string]interface{} {
	lines := strings.Split(c.Rules, "\n")
	patterns, err := readAll(c.Rules)
	if err != nil {
		return map[string]interface{}{"error": err.Error(), "line": errorLine(lines)}
	}
	// New reads the patterns one by one and stops at the first it refuses: that pattern alone
	// is refused with the same error.
	for i, p := range patterns {
		if _, err := patternmatcher.New([]string{p}); err != nil {
			return map[string]interface{}{"error": err.Error(), "line": patternLine(lines, i)}
		}
	}
	matches := make([]interface{}, len(c.Paths))
	for i, path := range c.Paths {
		// A matcher for each path: in 0.6.0 a pattern whose regular expression does not compile
		// fails its first match and panics at its second (0.6.1 fails every one, as stagecraft
		// does). A path's answer ends at that first failure, so no matcher is asked twice.
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			panic(err) // each pattern was accepted alone
		}
		if m, err := pm.MatchesOrParentMatches(path); err == nil {
			matches[i] = m
		}
	}
	return map[string]interface{}{"matches": matches}
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&cases); err != nil {
		os.Stderr.WriteString("ignore-go: JSON cases on stdin: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([]map[string]interface{}, len(cases))
	for i, c := range cases {
		out[i] = answer(c)
	}
	w := bufio.NewWriter(os.Stdout)
	if err := json.NewEncoder(w).Encode(out); err != nil {
		panic(err)
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
}
