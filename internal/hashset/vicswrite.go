package hashset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// vicsOut is one Media record as WriteVICS writes it (field order as in
// distribution files).
type vicsOut struct {
	MediaID            int64             `json:"MediaID"`
	Category           *int              `json:"Category,omitempty"`
	MD5                string            `json:"MD5,omitempty"`
	SHA1               string            `json:"SHA1,omitempty"`
	MediaSize          *int64            `json:"MediaSize,omitempty"`
	IsPrecategorized   bool              `json:"IsPrecategorized"`
	VictimIdentified   *bool             `json:"VictimIdentified,omitempty"`
	OffenderIdentified *bool             `json:"OffenderIdentified,omitempty"`
	IsDistributed      *bool             `json:"IsDistributed,omitempty"`
	Series             string            `json:"Series,omitempty"`
	Tags               string            `json:"Tags,omitempty"`
	Comments           string            `json:"Comments,omitempty"`
	MimeType           string            `json:"MimeType,omitempty"`
	DateUpdated        string            `json:"DateUpdated,omitempty"`
	PhotoDNA           string            `json:"PhotoDNA,omitempty"`
	AlternativeHashes  []vicsAltOut      `json:"AlternativeHashes,omitempty"`
	MediaMetadata      []vicsPropertyOut `json:"MediaMetadata,omitempty"`
}

type vicsAltOut struct {
	MD5       string `json:"MD5,omitempty"`
	HashName  string `json:"HashName"`
	HashValue string `json:"HashValue"`
}

type vicsPropertyOut struct {
	MD5           string `json:"MD5,omitempty"`
	PropertyName  string `json:"PropertyName"`
	PropertyValue string `json:"PropertyValue"`
}

var profileToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// WriteVICS writes entries as a VICS #Media hash set, version "2.0" (the
// profile goes into the @odata.context URL) or "1.3" (odata.metadata; the
// 1.x URL has no place for a profile, so a reader takes the US one).
// Hashes are written in upper case as distribution files have them;
// SHA-256 goes into AlternativeHashes, as does PhotoDNA in 1.3 (2.0 has a
// PhotoDNA field); a PDQ hash is written as an AlternativeHashes entry
// named "PDQ" with its quality in MediaMetadata "PDQQuality" (VICS has no
// PDQ field; Read takes both back). Category is written only when set.
// MediaIDs are numbered from 1.
//
// VICS keys Media by MD5: entries without an MD5 are not written and are
// counted in skipped.
func WriteVICS(w io.Writer, version, profile string, entries iter.Seq2[Entry, error]) (written, skipped int64, err error) {
	var head string
	switch version {
	case "2.0":
		if profile == "" {
			profile = "US"
		}
		if !profileToken.MatchString(profile) {
			return 0, 0, fmt.Errorf("VICS profile %q: letters, digits, '-' and '_' only", profile)
		}
		head = `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/` + profile + `/$metadata#Media","value":[`
	case "1.3":
		head = `{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[`
	default:
		return 0, 0, fmt.Errorf("VICS version %q: write 2.0 or 1.3", version)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(head)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for e, ierr := range entries {
		if ierr != nil {
			return written, skipped, ierr
		}
		if e.MD5 == "" {
			skipped++
			continue
		}
		rec := vicsRecord(&e, version, written+1)
		buf.Reset()
		if err := enc.Encode(rec); err != nil {
			return written, skipped, fmt.Errorf("VICS entry %d: %w", written+1, err)
		}
		if written > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}))
		written++
	}
	bw.WriteString("\n]}\n")
	return written, skipped, bw.Flush()
}

func vicsRecord(e *Entry, version string, id int64) *vicsOut {
	md5 := strings.ToUpper(e.MD5)
	o := &vicsOut{
		MediaID:            id,
		Category:           e.Category,
		MD5:                md5,
		SHA1:               strings.ToUpper(e.SHA1),
		IsPrecategorized:   e.Category != nil,
		VictimIdentified:   e.VictimIdentified,
		OffenderIdentified: e.OffenderIdentified,
		IsDistributed:      e.Distributed,
		Series:             e.Series,
		Tags:               e.Tags,
		Comments:           e.Comments,
	}
	if e.Size >= 0 {
		size := e.Size
		o.MediaSize = &size
	}
	if !e.Updated.IsZero() {
		o.DateUpdated = e.Updated.UTC().Format(time.RFC3339Nano)
	}
	for _, f := range e.Extra {
		if f.Name == "MimeType" {
			o.MimeType = f.Value
		}
	}
	if e.SHA256 != "" {
		o.AlternativeHashes = append(o.AlternativeHashes, vicsAltOut{md5, "SHA256", strings.ToUpper(e.SHA256)})
	}
	if e.PhotoDNA != "" {
		if version == "2.0" {
			o.PhotoDNA = e.PhotoDNA
		} else {
			o.AlternativeHashes = append(o.AlternativeHashes, vicsAltOut{md5, "PhotoDNA", e.PhotoDNA})
		}
	}
	if e.PDQ != "" {
		o.AlternativeHashes = append(o.AlternativeHashes, vicsAltOut{md5, "PDQ", e.PDQ})
		if e.PDQQuality >= 0 {
			o.MediaMetadata = append(o.MediaMetadata, vicsPropertyOut{md5, "PDQQuality", strconv.Itoa(e.PDQQuality)})
		}
	}
	return o
}
