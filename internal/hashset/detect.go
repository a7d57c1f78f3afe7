package hashset

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

const sqliteMagic = "SQLite format 3\x00"

// Detect tells the format of the file at path from its content: the
// SQLite magic and tables (NSRL), the JSON root (VICS), the hashdeep
// header, the ICSE header, the shape of the first line (sum lines, plain
// hashes, PDQ "hash,quality" lines) or a CSV header naming hash columns.
// A plain list of 64-digit hashes is taken as SHA-256: name the pdq
// format to read such a list as PDQ hashes.
func Detect(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash set %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("hash set %s: %w", path, err)
	}
	head = head[:n]
	if bytes.HasPrefix(head, []byte(sqliteMagic)) {
		db, err := openSQLite(path)
		if err != nil {
			return "", fmt.Errorf("hash set %s: %w", path, err)
		}
		defer db.Close()
		if _, err := nsrlStyle(context.Background(), db); err != nil {
			return "", fmt.Errorf("hash set %s: %w: %w", path, ErrUnknownFormat, err)
		}
		return NSRL, nil
	}
	text, err := decodeText(bytes.NewReader(head))
	if err != nil {
		return "", fmt.Errorf("hash set %s: %w", path, err)
	}
	b, _ := io.ReadAll(text)
	format, why := detectText(b)
	if format == "" {
		return "", fmt.Errorf("hash set %s: %w: %s; name the format (vics, icse, md5sum, sha1sum, sha256sum, hashdeep, nsrl, pdq, csv, plain)", path, ErrUnknownFormat, why)
	}
	return format, nil
}

var (
	jsonVICSKey = regexp.MustCompile(`(?i)"(odata\.metadata|@odata\.context|value)"\s*:`)
	jsonMD5Key  = regexp.MustCompile(`(?i)"md5"\s*:`)
	pdqLine     = regexp.MustCompile(`^[0-9a-fA-F]{64}\s*,\s*\d{1,3}\s*(,|$)`)
)

// detectText decides from the first 64 KiB of a text file; when it
// cannot, it says why.
func detectText(b []byte) (Format, string) {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return "", "the file is empty"
	}
	switch t[0] {
	case '{':
		if jsonVICSKey.Match(t) {
			return VICS, ""
		}
		return "", "JSON, but no odata.metadata, @odata.context or value key in the first 64 KiB: not a VICS document"
	case '[':
		if jsonMD5Key.Match(t) {
			return VICS, ""
		}
		return "", "a JSON array, but with no MD5 key: not VICS records"
	}
	if bytes.HasPrefix(t, []byte(hashdeepMagic)) {
		return Hashdeep, ""
	}
	line, rest := firstLine(t)
	if line == "" {
		return "", "only comments in the first 64 KiB"
	}
	if f := strings.Split(line, ";"); len(f) >= 3 {
		cols, _ := header(f, icseColumns)
		md5, sha1, icse := false, false, 0
		for _, c := range cols {
			switch {
			case c == colMD5:
				md5 = true
			case c == colSHA1:
				sha1 = true
			case c != colIgnore:
				icse++
			}
		}
		if md5 && sha1 && icse >= 3 {
			return ICSE, ""
		}
	}
	trimmed := strings.TrimSpace(line)
	if isHex(trimmed) {
		switch len(trimmed) {
		case 32, 40, 64:
			return Plain, ""
		}
		return "", fmt.Sprintf("first line %q: %d hexadecimal digits, not an MD5, SHA-1 or SHA-256", clip(trimmed), len(trimmed))
	}
	if pdqLine.MatchString(trimmed) {
		return PDQList, ""
	}
	// "hash,quality,id" over PDQ lines.
	if f := strings.Split(trimmed, ","); len(f) >= 2 && pdqHeader(f) {
		if next, _ := firstLine(rest); pdqLine.MatchString(strings.TrimSpace(next)) {
			return PDQList, ""
		}
	}
	if hash, _, err := parseSumLine(line); err == nil {
		if f := sumFormat(len(hash)); f != "" {
			return f, ""
		}
	}
	cols, _ := header(splitCSVHeader(line), csvColumns)
	if hasHashColumn(cols) {
		return CSV, ""
	}
	return "", fmt.Sprintf("first line %q is none of the known forms", clip(line))
}

// firstLine returns the first line that is neither blank nor a comment,
// and what follows it.
func firstLine(b []byte) (string, []byte) {
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if !skipLine(line) {
			return string(line), b
		}
	}
	return "", nil
}

// splitCSVHeader splits a header line on its sniffed delimiter, dropping
// quotes.
func splitCSVHeader(line string) []string {
	d := string(sniffDelimiter([]byte(line)))
	f := strings.Split(line, d)
	for i := range f {
		f[i] = strings.Trim(strings.TrimSpace(f[i]), `"`)
	}
	return f
}
