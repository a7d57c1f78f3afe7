package hashset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The CSV formats: Interpol ICSE exports (';'-separated, fixed header)
// and generic CSV whose header names the columns (Griffeye exports,
// HashKeeper files, NSRL v2 NSRLFile.txt, home-made lists).

// csvSource reads records, bounding the bytes one record may take.
type csvSource struct {
	cr  *csv.Reader
	lim *recordLimit
}

func newCSVSource(in io.Reader, comma rune) *csvSource {
	lim := &recordLimit{r: in, max: maxRecord}
	cr := csv.NewReader(lim)
	cr.Comma = comma
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvSource{cr: cr, lim: lim}
}

// next returns the next record and its line; a malformed record gives a
// *csv.ParseError, after which reading may go on.
func (s *csvSource) next() ([]string, int64, error) {
	s.lim.mark()
	rec, err := s.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, int64(pe.StartLine), err
		}
		return nil, 0, err
	}
	line, _ := s.cr.FieldPos(0)
	return rec, int64(line), nil
}

// column is what a CSV column holds.
type column int

const (
	colIgnore column = iota
	colMD5
	colSHA1
	colSHA256
	colHash // kind from its length
	colPDQ
	colQuality
	colPhotoDNA
	colCategory
	colSeries
	colTags
	colComments
	colVictim
	colOffender
	colDistributed
	colSize
	colRef
	colName
	colUpdated
	colExtra // kept in Entry.Extra
)

// csvColumns maps normalised header names (see normName) to columns.
var csvColumns = map[string]column{
	"md5": colMD5, "md5hash": colMD5, "md5sum": colMD5, "hashmd5": colMD5, "md5value": colMD5,
	"sha1": colSHA1, "sha1hash": colSHA1, "hashsha1": colSHA1, "sha1value": colSHA1,
	"sha256": colSHA256, "sha2256": colSHA256, "sha256hash": colSHA256, "hashsha256": colSHA256, "sha256value": colSHA256,
	"hash": colHash, "hashvalue": colHash, "digest": colHash,
	"pdq": colPDQ, "pdqhash": colPDQ,
	"quality": colQuality, "pdqquality": colQuality,
	"photodna": colPhotoDNA, "pdna": colPhotoDNA,
	"category": colCategory, "cat": colCategory, "vicscategory": colCategory,
	"series": colSeries, "seriesname": colSeries,
	"tags": colTags, "tag": colTags,
	"comments": colComments, "comment": colComments, "notes": colComments, "usercomment": colComments,
	"victimidentified": colVictim, "offenderidentified": colOffender,
	"distributed": colDistributed, "isdistributed": colDistributed,
	"size": colSize, "filesize": colSize, "mediasize": colSize, "bytes": colSize,
	"id": colRef, "mediaid": colRef, "imageid": colRef, "fileid": colRef, "entryid": colRef,
	"filename": colName, "name": colName, "file": colName,
	"dateupdated": colUpdated, "updated": colUpdated,
}

// icseColumns are the columns of an ICSE export (domain.md §1.8).
var icseColumns = map[string]column{
	"md5": colMD5, "sha1": colSHA1, "photodna": colPhotoDNA, "imageid": colRef,
	"isdistributed": colDistributed, "victimidentified": colVictim, "offenderidentified": colOffender,
	"seriesname": colSeries,
	"zz40":       colExtra, "lace": colExtra, "investigationname": colExtra, "agency": colExtra,
	"numberofsubmissions": colExtra, "fileavailable": colExtra, "mediatype": colExtra, "baseline": colExtra,
}

// header maps a header record through a column table.
func header(rec []string, table map[string]column) ([]column, []string) {
	cols := make([]column, len(rec))
	names := make([]string, len(rec))
	seen := map[column]bool{}
	for i, h := range rec {
		names[i] = strings.TrimSpace(h)
		c := table[normName(h)]
		if c != colExtra && c != colIgnore && seen[c] {
			c = colIgnore // the first of two columns of the same kind wins
		}
		seen[c] = true
		cols[i] = c
	}
	return cols, names
}

func hasHashColumn(cols []column) bool {
	for _, c := range cols {
		switch c {
		case colMD5, colSHA1, colSHA256, colHash, colPDQ, colPhotoDNA:
			return true
		}
	}
	return false
}

func (r *run) readICSE(in *bufio.Reader) error {
	return r.readColumns(newCSVSource(in, ';'), icseColumns)
}

func (r *run) readCSV(in *bufio.Reader) error {
	head, _ := in.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return r.readColumns(newCSVSource(in, sniffDelimiter(head)), csvColumns)
}

// sniffDelimiter picks the delimiter of a header line: the most frequent
// of , ; tab | outside quotes.
func sniffDelimiter(line []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case ',', ';', '\t', '|':
			if !quoted {
				counts[c]++
			}
		}
	}
	best, n := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return rune(best)
}

func (r *run) readColumns(src *csvSource, table map[string]column) error {
	var cols []column
	var names []string
	for cols == nil {
		rec, line, err := src.next()
		if err == io.EOF {
			return r.fileErr(errors.New("empty file: no header line"))
		}
		if err != nil {
			return r.csvErr(line, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		cols, names = header(rec, table)
		if !hasHashColumn(cols) {
			return r.lineErr("line", line, -1, fmt.Errorf("the header %q names no hash column (md5, sha1, sha256, hash, pdq, photodna)", clip(strings.Join(rec, string(src.cr.Comma)))))
		}
	}
	for {
		rec, line, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if err := r.bad("line", line, -1, pe.Err); err != nil {
					return err
				}
				continue
			}
			return r.csvErr(line, err)
		}
		if blank(rec) {
			continue
		}
		e, err := r.columnsEntry(rec, cols, names, line)
		if err != nil {
			if err := r.bad("line", line, -1, err); err != nil {
				return err
			}
			continue
		}
		e.Line = line
		if err := r.emit("line", &e); err != nil {
			return err
		}
	}
}

func (r *run) csvErr(line int64, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return r.lineErr("line", line, -1, pe.Err)
	}
	return r.readErr("line", line, err)
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// columnsEntry builds an entry from one record.
func (r *run) columnsEntry(rec []string, cols []column, names []string, line int64) (Entry, error) {
	e := Entry{PDQQuality: -1, Size: -1}
	quality := ""
	for i, c := range cols {
		if i >= len(rec) {
			break
		}
		v := strings.TrimSpace(rec[i])
		if v == "" || c == colIgnore {
			continue
		}
		var err error
		switch c {
		case colMD5:
			e.MD5, err = normHex(names[i], v, 32)
		case colSHA1:
			e.SHA1, err = normHex(names[i], v, 40)
		case colSHA256:
			e.SHA256, err = normHex(names[i], v, 64)
		case colHash:
			err = setHashByLength(&e, names[i], v)
		case colPDQ:
			e.PDQ, err = normHex(names[i], v, 64)
		case colQuality:
			quality = v
		case colPhotoDNA:
			e.PhotoDNA = photoDNAText(v)
		case colCategory:
			var w string
			e.Category, w, err = parseCategory(r.prof, v)
			if w != "" {
				r.warn("line %d: %s", line, w)
			}
		case colSeries:
			e.Series = v
		case colTags:
			e.Tags = v
		case colComments:
			e.Comments = v
		case colVictim:
			e.VictimIdentified, err = parseFlag(names[i], v)
		case colOffender:
			e.OffenderIdentified, err = parseFlag(names[i], v)
		case colDistributed:
			e.Distributed, err = parseFlag(names[i], v)
		case colSize:
			e.Size, err = parseSize(names[i], v)
		case colRef:
			e.Ref = v
		case colName:
			e.Name = v
		case colUpdated:
			t, terr := parseTime(v)
			if terr != nil {
				r.warn("line %d: %s: %v", line, names[i], terr)
			}
			e.Updated = t
		case colExtra:
			e.Extra = append(e.Extra, Field{names[i], v})
		}
		if err != nil {
			return e, err
		}
	}
	if quality != "" {
		q, err := parseQuality(quality)
		if err != nil {
			return e, err
		}
		e.PDQQuality = q
	}
	return e, nil
}
