package hashset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The line formats: coreutils sums, plain lists, PDQ lists, hashdeep.
// Blank lines are skipped everywhere; so are lines starting with '#'
// (hashdeep comments, and the comments people put at the top of lists).

// sumLength is the hash length of each coreutils format.
var sumLength = map[Format]int{MD5Sum: 32, SHA1Sum: 40, SHA256Sum: 64}

// sumFormat is the format of a sum line holding n hex digits.
func sumFormat(n int) Format {
	switch n {
	case 32:
		return MD5Sum
	case 40:
		return SHA1Sum
	case 64:
		return SHA256Sum
	}
	return ""
}

// parseSumLine reads one line of md5sum/sha1sum/sha256sum output, in the
// GNU form "HASH  NAME" (binary mode "HASH *NAME"; a leading backslash
// marks an escaped name), the BSD "md5 -r" form "HASH NAME", or the
// tagged form "MD5 (NAME) = HASH".
func parseSumLine(line string) (hash, name string, err error) {
	escaped := strings.HasPrefix(line, "\\")
	if escaped {
		line = line[1:]
	}
	if i := strings.Index(line, " ("); i > 0 && !isHex(line[:i]) {
		// Tagged: ALGO (NAME) = HASH; the name may itself hold ") = ".
		j := strings.LastIndex(line, ") = ")
		if j < i {
			return "", "", errors.New("not a sum line: tagged form without \") = \"")
		}
		hash, name = line[j+4:], line[i+2:j]
		if !isHex(hash) {
			return "", "", fmt.Errorf("hash %q: not hexadecimal", clip(hash))
		}
	} else {
		n := 0
		for n < len(line) && isHex(line[n:n+1]) {
			n++
		}
		if n == 0 {
			return "", "", fmt.Errorf("%q: does not start with a hash", clip(line))
		}
		hash, name = line[:n], line[n:]
		switch {
		case strings.HasPrefix(name, "  "), strings.HasPrefix(name, " *"):
			name = name[2:]
		case strings.HasPrefix(name, " "), strings.HasPrefix(name, "\t"):
			name = name[1:]
		case name == "":
		default:
			return "", "", fmt.Errorf("%q: the hash is not followed by a space", clip(line))
		}
	}
	if escaped {
		name = unescapeName(name)
	}
	return hash, name, nil
}

// unescapeName undoes coreutils' escaping of \\, \n and \r in names.
func unescapeName(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func skipLine(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) == 0 || t[0] == '#'
}

// eachLine calls parse for every line that is not blank or a comment,
// numbered from 1, and stores what it returns: an entry, nil for a line
// to pass over (a header), or an error recorded against the line.
func (r *run) eachLine(in *bufio.Reader, parse func(b []byte, n int64) (*Entry, error)) error {
	lr := &lineReader{br: in}
	for {
		b, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return r.readErr("line", lr.n, err)
		}
		if skipLine(b) {
			continue
		}
		e, err := parse(b, lr.n)
		if err != nil {
			if err := r.bad("line", lr.n, -1, err); err != nil {
				return err
			}
			continue
		}
		if e == nil {
			continue
		}
		if err := r.emit("line", e); err != nil {
			return err
		}
	}
}

func (r *run) readSums(in *bufio.Reader) error {
	want := sumLength[r.meta.Format]
	return r.eachLine(in, func(b []byte, n int64) (*Entry, error) {
		hash, name, err := parseSumLine(strings.TrimRight(string(b), " \t"))
		if err != nil {
			return nil, err
		}
		if len(hash) != want {
			return nil, fmt.Errorf("hash %q has %d digits where %s lines hold %d", clip(hash), len(hash), r.meta.Format, want)
		}
		e := &Entry{PDQQuality: -1, Size: -1, Name: name, Line: n}
		return e, setHashByLength(e, "hash", hash)
	})
}

func (r *run) readPlain(in *bufio.Reader) error {
	return r.eachLine(in, func(b []byte, n int64) (*Entry, error) {
		e := &Entry{PDQQuality: -1, Size: -1, Line: n}
		return e, setHashByLength(e, "hash", string(bytes.TrimSpace(b)))
	})
}

// readPDQList reads "hash[,quality[,id]]" lines, as the PDQ reference
// tool prints them ("hash,quality,filename"); the id is the rest of the
// line, commas included. A first line whose first field is not
// hexadecimal is taken as a header.
func (r *run) readPDQList(in *bufio.Reader) error {
	first := true
	return r.eachLine(in, func(b []byte, n int64) (*Entry, error) {
		fields := strings.SplitN(string(b), ",", 3)
		if first {
			first = false
			if pdqHeader(fields) {
				return nil, nil
			}
		}
		e := &Entry{PDQQuality: -1, Size: -1, Line: n}
		var err error
		e.PDQ, err = normHex("pdq", strings.TrimSpace(fields[0]), 64)
		if err == nil && len(fields) > 1 {
			e.PDQQuality, err = parseQuality(fields[1])
		}
		if len(fields) > 2 {
			e.Ref = strings.TrimSpace(fields[2])
		}
		return e, err
	})
}

// pdqHeader reports whether the fields of a first line are column names
// ("hash,quality,id"): no digits in the first two fields.
func pdqHeader(fields []string) bool {
	for i, f := range fields {
		if i < 2 && (f == "" || strings.ContainsAny(f, "0123456789")) {
			return false
		}
	}
	return !isHex(strings.TrimSpace(fields[0]))
}

const hashdeepMagic = "%%%% HASHDEEP-1."

// readHashdeep reads hashdeep (and md5deep -z style) files:
//
//	%%%% HASHDEEP-1.0
//	%%%% size,md5,sha256,filename
//	## comments
//	5,d41d8cd9...,e3b0c442...,/path/file
//
// The file name is the last column and may hold commas.
func (r *run) readHashdeep(in *bufio.Reader) error {
	lr := &lineReader{br: in}
	var cols []string
	for {
		b, err := lr.next()
		if err == io.EOF {
			if cols == nil {
				return r.fileErr(errors.New("no %%%% column declaration: not a hashdeep file"))
			}
			return nil
		}
		if err != nil {
			return r.readErr("line", lr.n, err)
		}
		line := string(b)
		if strings.HasPrefix(line, "%%%%") {
			rest := strings.TrimSpace(strings.TrimPrefix(line, "%%%%"))
			switch {
			case strings.HasPrefix(line, hashdeepMagic):
				r.meta.Version = strings.TrimPrefix(rest, "HASHDEEP-")
			case strings.Contains(rest, ","):
				cols = strings.Split(strings.ToLower(rest), ",")
				for i := range cols {
					cols[i] = strings.TrimSpace(cols[i])
				}
				if cols[len(cols)-1] != "filename" {
					return r.lineErr("line", lr.n, -1, fmt.Errorf("column declaration %q does not end with filename", clip(rest)))
				}
				r.meta.Model = rest
			}
			continue
		}
		if skipLine(b) {
			continue
		}
		if r.meta.Version == "" {
			return r.lineErr("line", lr.n, -1, errors.New("data before the %%%% HASHDEEP header: not a hashdeep file"))
		}
		if cols == nil {
			return r.lineErr("line", lr.n, -1, errors.New("data before the %%%% column declaration"))
		}
		e, err := hashdeepEntry(line, cols)
		e.Line = lr.n
		if err != nil {
			if err := r.bad("line", lr.n, -1, err); err != nil {
				return err
			}
			continue
		}
		if err := r.emit("line", &e); err != nil {
			return err
		}
	}
}

func hashdeepEntry(line string, cols []string) (Entry, error) {
	e := Entry{PDQQuality: -1, Size: -1}
	fields := strings.SplitN(line, ",", len(cols))
	if len(fields) != len(cols) {
		return e, fmt.Errorf("%d fields where the header declares %d", len(fields), len(cols))
	}
	var err error
	for i, c := range cols {
		v := fields[i]
		switch c {
		case "size":
			e.Size, err = parseSize("size", v)
		case "md5":
			e.MD5, err = normHex("md5", v, 32)
		case "sha1":
			e.SHA1, err = normHex("sha1", v, 40)
		case "sha256":
			e.SHA256, err = normHex("sha256", v, 64)
		case "filename":
			e.Name = v
		}
		if err != nil {
			return e, err
		}
	}
	return e, nil
}
