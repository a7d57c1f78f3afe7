package evidence

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Member names inside archives and images come from the suspect's side and
// may try to escape ("../x", "/etc/x", "..\x"), be empty, contain NUL or
// invalid UTF-8. Vigil never drops such an entry and never lets it escape:
//
//   - a backslash separates like a slash (archives made on Windows use it);
//   - empty, "." and ".." elements and a leading "/" are removed, so
//     "../../x" and "/x" are exposed as "x" inside the source;
//   - NUL and bytes that are not valid UTF-8 are written as %XX;
//   - a name that is left empty becomes "_";
//   - when two entries end up with the same name in one directory, the
//     later one is exposed as "name~2" ("name~3", …).
//
// Whenever the exposed path differs from the stored one, Meta.StoredName
// keeps the stored name, so the report can show what the archive said.

// cleanMemberPath turns a stored name into a slash-separated path that is
// valid in the sense of fs.ValidPath, and its elements.
func cleanMemberPath(raw string) (string, []string) {
	s := strings.ReplaceAll(raw, "\\", "/")
	parts := strings.Split(s, "/")
	out := parts[:0]
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			continue
		}
		out = append(out, cleanElem(p))
	}
	if len(out) == 0 {
		out = append(out, "_")
	}
	return strings.Join(out, "/"), out
}

// cleanElem makes one path element valid: no NUL, valid UTF-8.
func cleanElem(p string) string {
	if utf8.ValidString(p) && !strings.ContainsRune(p, 0) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		if r == 0 || (r == utf8.RuneError && n == 1) {
			fmt.Fprintf(&b, "%%%02X", p[i])
		} else {
			b.WriteString(p[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cleanName makes one directory entry name (from a file system, where it
// cannot contain a separator by construction, though a hostile image may
// still put one in) valid as a single path element.
func cleanName(raw string) string {
	if raw == "" || raw == "." || raw == ".." {
		return "_"
	}
	s := cleanElem(raw)
	if strings.ContainsRune(s, '/') {
		s = strings.ReplaceAll(s, "/", "%2F")
	}
	return s
}

// uniqueName returns name, or name~N with the smallest N ≥ 2 for which
// taken reports false.
func uniqueName(name string, taken func(string) bool) string {
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s~%d", name, i)
		if !taken(n) {
			return n
		}
	}
}
