// The Git reading of a COPY or ADD source as BuildKit's dfgitutil.ParseGitRef does it (over
// gitutil.ParseURL and sshutil.ParseSCPStyleURL), written against Go's own net/url, to check
// crates/analysis/src/gitref.rs against the real URL parser: one JSON string per input line,
// one JSON object per output line. Run by the ignored test `gitref::tests::against_go`.
//
// Two deliberate differences from BuildKit, both about order: BuildKit reads the query from a
// map, so which of several errors it reports, and which of checksum and commit wins when both
// are given, varies from run to run; here the keys are read in the order they first appear (of
// the pairs ParseQuery keeps), as stagecraft reads them.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var protoRegexp = regexp.MustCompile(`^[a-zA-Z0-9]+://`)
var scpRegexp = regexp.MustCompile(`^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`)

type result struct {
	Kind       string  `json:"kind"`
	Error      string  `json:"error,omitempty"`
	Keep       *bool   `json:"keep"`
	Checksum   *string `json:"checksum"`
	Ref        string  `json:"ref"`
	Subdir     string  `json:"subdir"`
	Submodules *bool   `json:"submodules"`
}

type options struct {
	keep, submodules *bool
	checksum         *string
	ref, subdir      string
}

type parsed struct {
	path, fragment, rawQuery string
	query                    url.Values
}

// keyOrder lists a raw query's keys in the order they first appear (decoded as ParseQuery does).
func keyOrder(raw string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if _, verr := url.QueryUnescape(v); err != nil || verr != nil || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}

func read(ref string) (*parsed, bool, bool) {
	if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") {
		return nil, false, false
	}
	if strings.HasPrefix(ref, "github.com/") {
		u, err := url.Parse(ref)
		if err != nil {
			return nil, false, false
		}
		return &parsed{u.Path, u.Fragment, u.RawQuery, u.Query()}, true, true
	}
	if proto := protoRegexp.FindString(ref); proto != "" {
		scheme := strings.ToLower(strings.TrimSuffix(proto, "://"))
		switch scheme {
		case "http", "https", "ssh", "git":
		default:
			return nil, false, false
		}
		u, err := url.Parse(ref)
		if err != nil {
			return nil, false, false
		}
		if (scheme == "http" || scheme == "https") && !strings.HasSuffix(u.Path, ".git") {
			return nil, false, false
		}
		return &parsed{u.Path, u.Fragment, u.RawQuery, u.Query()}, true, false
	}
	m := scpRegexp.FindStringSubmatch(ref)
	if m == nil {
		return nil, false, false
	}
	vals := url.Values{}
	if m[4] != "" {
		var err error
		if vals, err = url.ParseQuery(m[4]); err != nil {
			return nil, false, false
		}
	}
	return &parsed{m[3], m[5], m[4], vals}, true, false
}

func loadQuery(p *parsed) (*options, error) {
	gitRef, subdir, _ := strings.Cut(p.fragment, ":")
	if len(p.query) == 0 {
		return &options{ref: gitRef, subdir: subdir}, nil
	}
	var keep, submodules *bool
	var checksum *string
	var tag, branch string
	for _, k := range keyOrder(p.rawQuery) {
		v, ok := p.query[k]
		if !ok {
			continue
		}
		switch len(v) {
		case 0, 1:
			if len(v) == 0 || v[0] == "" {
				switch k {
				case "submodules", "keep-git-dir":
					v = nil
				default:
					return nil, fmt.Errorf("query %q has no value", k)
				}
			}
		default:
			return nil, fmt.Errorf("query %q has multiple values", k)
		}
		switch k {
		case "ref":
			if gitRef != "" && gitRef != v[0] {
				return nil, fmt.Errorf("ref conflicts: %q vs %q", gitRef, v[0])
			}
			gitRef = v[0]
		case "tag":
			tag = v[0]
		case "branch":
			branch = v[0]
		case "subdir":
			if subdir != "" && subdir != v[0] {
				return nil, fmt.Errorf("subdir conflicts: %q vs %q", subdir, v[0])
			}
			subdir = v[0]
		case "checksum", "commit":
			c := v[0]
			checksum = &c
		case "keep-git-dir", "submodules":
			b := true
			if len(v) != 0 {
				var err error
				if b, err = strconv.ParseBool(v[0]); err != nil {
					return nil, fmt.Errorf("invalid %s value: %q", k, v[0])
				}
			}
			if k == "keep-git-dir" {
				keep = &b
			} else {
				submodules = &b
			}
		default:
			return nil, fmt.Errorf("unexpected query %q", k)
		}
	}
	if tag != "" {
		if !strings.HasPrefix(tag, "refs/tags/") {
			tag = "refs/tags/" + tag
		}
		if gitRef != "" && gitRef != tag {
			return nil, fmt.Errorf("ref conflicts: %q vs %q", gitRef, tag)
		}
		gitRef = tag
	}
	if branch != "" {
		if tag != "" {
			return nil, errors.New("branch conflicts with tag")
		}
		if !strings.HasPrefix(branch, "refs/heads/") {
			branch = "refs/heads/" + branch
		}
		if gitRef != "" && gitRef != branch {
			return nil, fmt.Errorf("ref conflicts: %q vs %q", gitRef, branch)
		}
		gitRef = branch
	}
	return &options{keep: keep, submodules: submodules, checksum: checksum, ref: gitRef, subdir: subdir}, nil
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var src string
		if err := json.Unmarshal(in.Bytes(), &src); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		r := result{Kind: "not git"}
		if p, isGit, local := read(src); isGit {
			o, err := loadQuery(p)
			switch {
			case err != nil:
				r = result{Kind: "refused", Error: err.Error()}
			default:
				r = result{Kind: "git", Keep: o.keep, Checksum: o.checksum, Ref: o.ref, Subdir: o.subdir, Submodules: o.submodules}
				if local {
					r.Kind = "local form"
				}
			}
		}
		if err := out.Encode(r); err != nil {
			os.Exit(2)
		}
	}
}
