package hashset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	maxLine   = 1 << 20  // longest line of a text format
	maxRecord = 64 << 20 // largest single VICS record or CSV record
)

// decodeText returns a reader of UTF-8 text: a UTF-8 byte-order mark is
// dropped and UTF-16 text (with its mark, as some Windows tools write) is
// converted.
func decodeText(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10), nil
	}
	return br, nil
}

// lineReader returns lines without their end-of-line bytes, counting
// them; a line longer than maxLine is an error.
type lineReader struct {
	br   *bufio.Reader
	n    int64
	long []byte
}

func (l *lineReader) next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.br.ReadSlice('\n')
			l.long = append(l.long, line...)
			if len(l.long) > maxLine {
				l.n++
				return nil, errLineTooLong
			}
		}
		line = l.long
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	l.n++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// recordLimit fails a read once more than maxRecord bytes were read since
// the last mark, bounding the memory a decoder may spend on one record.
type recordLimit struct {
	r     io.Reader
	n     int64 // bytes read in all
	since int64 // n at the last mark
	max   int64
}

var errRecordTooLarge = errors.New("record larger than 64 MiB")

func (l *recordLimit) mark() { l.since = l.n }

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n-l.since > l.max {
		return 0, errRecordTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// readErr turns a low-level read error into the error the caller sees.
func (r *run) readErr(unit string, n int64, err error) error {
	if errors.Is(err, errLineTooLong) || errors.Is(err, errRecordTooLarge) {
		return r.lineErr(unit, n, -1, err)
	}
	return r.fileErr(fmt.Errorf("reading: %w", err))
}
