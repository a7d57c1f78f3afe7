package hashset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// VICS documents are walked with json.Decoder.Token so that only one
// Media record is held at a time; each record is decoded into vicsMedia,
// whose fields keep the raw JSON so that every lenient reading (strings
// for numbers and booleans, null, case of keys) is decided here.

// vicsMedia is one Media record. encoding/json matches keys to these
// field names in any case; unknown keys (odata annotations, MediaFiles,
// Exifs, ...) are skipped.
type vicsMedia struct {
	MediaID            json.RawMessage
	Category           json.RawMessage
	MD5                json.RawMessage
	SHA1               json.RawMessage
	SHA256             json.RawMessage
	PhotoDNA           json.RawMessage
	MediaSize          json.RawMessage
	VictimIdentified   json.RawMessage
	OffenderIdentified json.RawMessage
	IsDistributed      json.RawMessage
	Series             json.RawMessage
	Tags               json.RawMessage
	Comments           json.RawMessage
	DateUpdated        json.RawMessage
	MimeType           json.RawMessage
	AlternativeHashes  json.RawMessage
	MediaMetadata      json.RawMessage
}

type vicsProperty struct {
	HashName, HashValue         json.RawMessage
	PropertyName, PropertyValue json.RawMessage
}

var (
	vicsVersion = regexp.MustCompile(`(?i)DataModels/(\d+(?:\.\d+)*)\.xml`)
	vicsProfile = regexp.MustCompile(`(?i)DataModels/\d+(?:\.\d+)*\.xml/([^/$#?]+)`)
	vicsShape   = regexp.MustCompile(`#\s*(?:Collection\()?(?:[\w.]*\.)?(\w+)\)?\s*$`)
)

const maxDepth = 512

type vicsShapeKind int

const (
	shapeUnknown vicsShapeKind = iota
	shapeMedia
	shapeCases
)

type vicsReader struct {
	*run
	dec    *json.Decoder
	lim    *recordLimit
	shape  vicsShapeKind
	record int64
}

func (r *run) readVICS(in *bufio.Reader) error {
	lim := &recordLimit{r: in, max: maxRecord}
	v := &vicsReader{run: r, dec: json.NewDecoder(lim), lim: lim}
	r.setProfile("")
	tok, err := v.dec.Token()
	if err != nil {
		return v.syntax(err)
	}
	switch tok {
	case json.Delim('{'):
	case json.Delim('['):
		// A bare array of records, with no OData wrapper.
		if err := v.readElements(); err != nil {
			return err
		}
		return v.end()
	default:
		return r.fileErr(errors.New("not a VICS document: the JSON is not an object"))
	}
	sawValue := false
	for v.dec.More() {
		key, err := v.key()
		if err != nil {
			return err
		}
		switch {
		case strings.EqualFold(key, "odata.metadata") || strings.EqualFold(key, "@odata.context"):
			tok, err := v.dec.Token()
			if err != nil {
				return v.syntax(err)
			}
			s, ok := tok.(string)
			if !ok {
				if err := v.skipAfter(tok); err != nil {
					return err
				}
				return r.fileErr(fmt.Errorf("%s is not a string", key))
			}
			v.model(s)
		case strings.EqualFold(key, "value"):
			sawValue = true
			tok, err := v.dec.Token()
			if err != nil {
				return v.syntax(err)
			}
			if tok == nil { // "value": null
				continue
			}
			if tok != json.Delim('[') {
				if err := v.skipAfter(tok); err != nil {
					return err
				}
				return r.fileErr(errors.New("value is not an array"))
			}
			if err := v.readElements(); err != nil {
				return err
			}
		default:
			if err := v.skip(); err != nil {
				return err
			}
		}
	}
	if _, err := v.dec.Token(); err != nil { // the closing brace
		return v.syntax(err)
	}
	if !sawValue && r.meta.Model == "" {
		return r.fileErr(errors.New("not a VICS document: no odata.metadata, @odata.context or value key"))
	}
	return v.end()
}

// model reads the model URL: version, profile and shape.
func (v *vicsReader) model(s string) {
	v.meta.Model = s
	if m := vicsVersion.FindStringSubmatch(s); m != nil {
		v.meta.Version = m[1]
	}
	if m := vicsProfile.FindStringSubmatch(s); m != nil && !strings.EqualFold(m[1], "$metadata") {
		v.setProfile(m[1])
	}
	if m := vicsShape.FindStringSubmatch(s); m != nil {
		switch strings.ToLower(m[1]) {
		case "media":
			v.shape, v.meta.Shape = shapeMedia, "Media"
		case "cases", "case":
			v.shape, v.meta.Shape = shapeCases, "Cases"
		}
	}
}

// end checks that nothing but white space follows the document.
func (v *vicsReader) end() error {
	if _, err := v.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the end of the document")
		}
		return v.syntax(err)
	}
	return nil
}

// readElements reads the elements of the value array up to and including
// its closing bracket.
func (v *vicsReader) readElements() error {
	for v.dec.More() {
		var err error
		switch v.shape {
		case shapeMedia:
			err = v.readMedia()
		case shapeCases:
			err = v.readCase()
		default:
			err = v.readElement()
		}
		if err != nil {
			return err
		}
	}
	_, err := v.dec.Token()
	if err != nil {
		return v.syntax(err)
	}
	return nil
}

// readMedia decodes one Media record and hands it on.
func (v *vicsReader) readMedia() error {
	v.record++
	v.lim.mark()
	off := v.dec.InputOffset()
	var m vicsMedia
	if err := v.dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) { // not an object; the stream is still in step
			return v.bad("record", v.record, off, errors.New("a Media record must be a JSON object"))
		}
		return v.syntax(err)
	}
	return v.media(&m, off)
}

func (v *vicsReader) media(m *vicsMedia, off int64) error {
	e, err := v.entry(m)
	if err != nil {
		return v.bad("record", v.record, off, err)
	}
	e.Line = v.record
	return v.emit("record", &e)
}

// readCase reads one Case of a #Cases export, streaming its Media array.
func (v *vicsReader) readCase() error {
	off := v.dec.InputOffset()
	tok, err := v.dec.Token()
	if err != nil {
		return v.syntax(err)
	}
	if tok != json.Delim('{') {
		if err := v.skipAfter(tok); err != nil {
			return err
		}
		v.record++
		return v.bad("record", v.record, off, errors.New("a Case must be a JSON object"))
	}
	c := Case{}
	for v.dec.More() {
		key, err := v.key()
		if err != nil {
			return err
		}
		if strings.EqualFold(key, "Media") {
			n, err := v.readNestedMedia()
			if err != nil {
				return err
			}
			c.Media += n
			continue
		}
		var raw json.RawMessage
		v.lim.mark()
		if err := v.dec.Decode(&raw); err != nil {
			return v.syntax(err)
		}
		v.caseField(&c, key, raw)
	}
	if _, err := v.dec.Token(); err != nil {
		return v.syntax(err)
	}
	v.addCase(c)
	return nil
}

func (v *vicsReader) addCase(c Case) {
	if len(v.meta.Cases) < maxCases {
		v.meta.Cases = append(v.meta.Cases, c)
	}
}

// readNestedMedia reads a case's Media array (or null).
func (v *vicsReader) readNestedMedia() (int64, error) {
	tok, err := v.dec.Token()
	if err != nil {
		return 0, v.syntax(err)
	}
	if tok == nil {
		return 0, nil
	}
	if tok != json.Delim('[') {
		if err := v.skipAfter(tok); err != nil {
			return 0, err
		}
		return 0, v.fileErr(fmt.Errorf("record %d: a case's Media is not an array", v.record+1))
	}
	var n int64
	for v.dec.More() {
		if err := v.readMedia(); err != nil {
			return n, err
		}
		n++
	}
	if _, err := v.dec.Token(); err != nil {
		return n, v.syntax(err)
	}
	return n, nil
}

// readElement reads an element of a document whose shape the model URL
// does not give: a Case when it has a Media array, else a Media record.
func (v *vicsReader) readElement() error {
	off := v.dec.InputOffset()
	tok, err := v.dec.Token()
	if err != nil {
		return v.syntax(err)
	}
	if tok != json.Delim('{') {
		if err := v.skipAfter(tok); err != nil {
			return err
		}
		v.record++
		return v.bad("record", v.record, off, errors.New("a record must be a JSON object"))
	}
	fields := map[string]json.RawMessage{}
	isCase := false
	var c Case
	for v.dec.More() {
		key, err := v.key()
		if err != nil {
			return err
		}
		if strings.EqualFold(key, "Media") {
			isCase = true
			n, err := v.readNestedMedia()
			if err != nil {
				return err
			}
			c.Media += n
			continue
		}
		var raw json.RawMessage
		v.lim.mark()
		if err := v.dec.Decode(&raw); err != nil {
			return v.syntax(err)
		}
		fields[key] = raw
	}
	if _, err := v.dec.Token(); err != nil {
		return v.syntax(err)
	}
	if isCase {
		for k, raw := range fields {
			v.caseField(&c, k, raw)
		}
		v.addCase(c)
		return nil
	}
	v.record++
	b, err := json.Marshal(fields)
	if err != nil {
		return v.bad("record", v.record, off, err)
	}
	var m vicsMedia
	if err := json.Unmarshal(b, &m); err != nil {
		return v.bad("record", v.record, off, err)
	}
	return v.media(&m, off)
}

func (v *vicsReader) caseField(c *Case, key string, raw json.RawMessage) {
	s, _, err := rawText(raw)
	if err != nil {
		return
	}
	switch strings.ToLower(key) {
	case "caseid":
		id, ok := parseGUID(s)
		if !ok && s != "" {
			v.warn("case %q: CaseID %q is not a GUID", c.Number, clip(s))
		}
		c.ID = id
	case "casenumber", "case no.":
		c.Number = s
	case "contactorganization", "agency":
		c.Organization = s
	case "sourceapplicationname":
		c.Application = strings.TrimSpace(s + " " + c.Application)
	case "sourceapplicationversion":
		c.Application = strings.TrimSpace(c.Application + " " + s)
	case "seizuredate":
		t, err := parseTime(s)
		if err != nil {
			v.warn("case %q: SeizureDate: %v", c.Number, err)
		}
		c.SeizureDate = t
	}
}

// entry turns a decoded record into an Entry.
func (v *vicsReader) entry(m *vicsMedia) (Entry, error) {
	e := Entry{PDQQuality: -1, Size: -1}
	var err error
	field := func(name string, raw json.RawMessage) string {
		if err != nil {
			return ""
		}
		s, _, ferr := rawText(raw)
		if ferr != nil {
			err = fmt.Errorf("%s: %w", name, ferr)
		}
		return strings.TrimSpace(s)
	}
	hash := func(name string, raw json.RawMessage, n int) string {
		if err != nil {
			return ""
		}
		// Fast path: a plain quoted string, read without a copy.
		if len(raw) == n+2 && raw[0] == '"' && raw[n+1] == '"' {
			h, herr := normHexBytes(name, raw[1:n+1], n)
			if herr == nil {
				return h
			}
		}
		s := field(name, raw)
		if s == "" || err != nil {
			return ""
		}
		h, herr := normHex(name, s, n)
		if herr != nil {
			err = herr
		}
		return h
	}
	flag := func(name string, raw json.RawMessage) *bool {
		s := field(name, raw)
		if err != nil {
			return nil
		}
		b, ferr := parseFlag(name, s)
		if ferr != nil {
			err = ferr
		}
		return b
	}

	e.Ref = field("MediaID", m.MediaID)
	e.MD5 = hash("MD5", m.MD5, 32)
	e.SHA1 = hash("SHA1", m.SHA1, 40)
	e.SHA256 = hash("SHA256", m.SHA256, 64)
	if s := field("PhotoDNA", m.PhotoDNA); s != "" {
		e.PhotoDNA = photoDNAText(s)
	}
	if s := field("MediaSize", m.MediaSize); s != "" && err == nil {
		e.Size, err = parseSize("MediaSize", s)
	}
	e.VictimIdentified = flag("VictimIdentified", m.VictimIdentified)
	e.OffenderIdentified = flag("OffenderIdentified", m.OffenderIdentified)
	e.Distributed = flag("IsDistributed", m.IsDistributed)
	e.Series = field("Series", m.Series)
	e.Tags = field("Tags", m.Tags)
	e.Comments = field("Comments", m.Comments)
	if s := field("MimeType", m.MimeType); s != "" {
		e.Extra = append(e.Extra, Field{"MimeType", s})
	}
	if s := field("Category", m.Category); s != "" && err == nil {
		var w string
		e.Category, w, err = parseCategory(v.prof, s)
		if w != "" {
			v.warn("record %d: %s", v.record, w)
		}
	}
	if err != nil {
		return e, err
	}
	if err := v.alternatives(&e, m); err != nil {
		return e, err
	}
	if s := field("DateUpdated", m.DateUpdated); s != "" {
		t, terr := parseTime(s)
		if terr != nil {
			v.warn("record %d: DateUpdated: %v", v.record, terr)
		}
		e.Updated = t
	}
	return e, nil
}

// alternatives reads AlternativeHashes (SHA256, PhotoDNA, SHA1, MD5, PDQ
// by HashName) and the PDQ quality from MediaMetadata.
func (v *vicsReader) alternatives(e *Entry, m *vicsMedia) error {
	props, err := rawProperties("AlternativeHashes", m.AlternativeHashes)
	if err != nil {
		return err
	}
	for _, p := range props {
		name, _, err1 := rawText(p.HashName)
		value, _, err2 := rawText(p.HashValue)
		if err1 != nil || err2 != nil {
			return errors.New("AlternativeHashes: HashName and HashValue must be strings")
		}
		value = strings.TrimSpace(value)
		if value == "" {
			continue
		}
		var dst *string
		n := 0
		switch normName(name) {
		case "sha256", "sha2256":
			dst, n = &e.SHA256, 64
		case "sha1":
			dst, n = &e.SHA1, 40
		case "md5":
			dst, n = &e.MD5, 32
		case "pdq":
			dst, n = &e.PDQ, 64
		case "photodna", "pdna":
			if e.PhotoDNA == "" {
				e.PhotoDNA = photoDNAText(value)
			}
			continue
		default: // EDK and others
			continue
		}
		h, err := normHex(name, value, n)
		if err != nil {
			return fmt.Errorf("AlternativeHashes: %w", err)
		}
		if *dst == "" {
			*dst = h
		} else if *dst != h {
			return fmt.Errorf("AlternativeHashes: %s %s differs from the record's %s", name, h, *dst)
		}
	}
	if e.PDQ == "" {
		return nil
	}
	meta, err := rawProperties("MediaMetadata", m.MediaMetadata)
	if err != nil {
		return err
	}
	for _, p := range meta {
		name, _, _ := rawText(p.PropertyName)
		if normName(name) != "pdqquality" {
			continue
		}
		value, _, err := rawText(p.PropertyValue)
		if err != nil {
			return fmt.Errorf("MediaMetadata PDQQuality: %w", err)
		}
		if e.PDQQuality, err = parseQuality(value); err != nil {
			return err
		}
	}
	return nil
}

func rawProperties(name string, raw json.RawMessage) ([]vicsProperty, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var props []vicsProperty
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, fmt.Errorf("%s: not an array of objects", name)
	}
	return props, nil
}

// rawText reads a JSON scalar as text: strings as they are, numbers and
// booleans as written; null or absent gives present false. An array of
// scalars is joined with ", " (some writers give Tags as an array).
func rawText(raw json.RawMessage) (s string, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false, nil
	}
	switch raw[0] {
	case '"':
		if bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
			return string(raw[1 : len(raw)-1]), true, nil
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, err
		}
		return s, true, nil
	case '{':
		return "", false, errors.New("an object where a value was expected")
	case '[':
		var parts []json.RawMessage
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", false, err
		}
		var out []string
		for _, p := range parts {
			t, ok, err := rawText(p)
			if err != nil {
				return "", false, err
			}
			if ok && t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, ", "), len(out) > 0, nil
	}
	if n := string(raw); n == "true" || n == "false" || isNumber(n) {
		return n, true, nil
	}
	return "", false, fmt.Errorf("unexpected JSON %q", clip(string(raw)))
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// key reads an object key.
func (v *vicsReader) key() (string, error) {
	tok, err := v.dec.Token()
	if err != nil {
		return "", v.syntax(err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", v.syntax(fmt.Errorf("unexpected %v where a key was expected", tok))
	}
	return k, nil
}

// skip skips one value without holding it whole.
func (v *vicsReader) skip() error {
	tok, err := v.dec.Token()
	if err != nil {
		return v.syntax(err)
	}
	return v.skipAfter(tok)
}

// skipAfter skips the rest of a value whose first token was tok.
func (v *vicsReader) skipAfter(tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxDepth {
				return v.syntax(errors.New("nested too deeply"))
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = v.dec.Token(); err != nil {
			return v.syntax(err)
		}
	}
}

// syntax reports a fatal error in the structure of the document.
func (v *vicsReader) syntax(err error) error {
	if errors.Is(err, errRecordTooLarge) {
		return v.lineErr("record", v.record+1, -1, err)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return v.fileErr(fmt.Errorf("broken JSON at byte %d (after record %d): %v", se.Offset, v.record, se))
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return v.fileErr(fmt.Errorf("JSON ends early (after record %d): the file is truncated", v.record))
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return v.fileErr(fmt.Errorf("after record %d: %w", v.record, err))
}
