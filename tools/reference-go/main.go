// BuildKit's reading of image references, for the test `reference::tests::against_go` in
// crates/analysis/src/reference.rs: github.com/distribution/reference 0.6.0 and
// github.com/opencontainers/go-digest 1.0.0 (the versions BuildKit vendors), as Debian 13
// packages them (tools/go-trixie.sh; built in GOPATH mode). One JSON string per input line; one
// JSON object per output line:
//   - "named": the error of reference.ParseNormalizedNamed (a base image's or a `--from`'s
//     name), "" when it parses;
//   - "context": the key dockerui.Client.NamedContext looks a named build context up by,
//     strings.TrimSuffix(reference.FamiliarString(named), ":latest"), or its error;
//   - "digest": the error of digest.Parse (an ADD `--checksum`, a reference's digest), "" when
//     it parses.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	// Linked into BuildKit: go-digest calls an algorithm available only when its hash is.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

type result struct {
	Named   string `json:"named"`
	Context string `json:"context"`
	Digest  string `json:"digest"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var s string
		if err := json.Unmarshal(in.Bytes(), &s); err != nil {
			fmt.Fprintln(os.Stderr, "reference-go: a JSON string per line:", err)
			os.Exit(2)
		}
		var r result
		named, err := reference.ParseNormalizedNamed(s)
		r.Named = errText(err)
		if err != nil {
			r.Context = fmt.Sprintf("invalid context name %s: %v", s, err)
		} else {
			r.Context = strings.TrimSuffix(reference.FamiliarString(named), ":latest")
		}
		_, err = digest.Parse(s)
		r.Digest = errText(err)
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
	if err := out.Flush(); err != nil {
		panic(err)
	}
}
