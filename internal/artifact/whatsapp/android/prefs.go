package android

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"vigil/internal/artifact"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// Prefs reads WhatsApp's shared preferences, which name the phone's owner
// (spec §3.3): registration_jid, else the calling code (cc) and number
// (ph), and push_name, the owner's own display name.
type Prefs struct{}

// Name identifies the extractor.
func (*Prefs) Name() string { return "whatsapp/android-prefs" }

var prefsNames = map[string]bool{
	"com.whatsapp_preferences_light.xml":     true,
	"com.whatsapp_preferences.xml":           true,
	"com.whatsapp.w4b_preferences_light.xml": true,
	"com.whatsapp.w4b_preferences.xml":       true,
}

// Claims takes the preferences files by name.
func (*Prefs) Claims(p string, head []byte) bool {
	return prefsNames[baseName(p)] && bytes.Contains(head, []byte("<map"))
}

// maxPrefs bounds what is read of a preferences file (real ones are a
// few kilobytes).
const maxPrefs = 8 << 20

// Extract reads the owner from a preferences file.
func (*Prefs) Extract(ctx context.Context, in *artifact.Input) error {
	f, err := os.Open(in.Local)
	if err != nil {
		return fmt.Errorf("preferences %s: %w", in.Path, err)
	}
	defer f.Close()
	kv, err := ReadPrefs(io.LimitReader(f, maxPrefs))
	if err != nil {
		return fmt.Errorf("preferences %s: %w", in.Path, err)
	}
	b, err := PrefsOwner(kv)
	if err != nil {
		in.Warn("preferences %s: %v", in.Path, err)
	}
	b.Generation = "android-preferences"
	return in.Store.WriteArtifact(ctx, in.Artifact.ID, b)
}

// ReadPrefs reads an Android shared-preferences XML file: <map> holding
// <string name="k">v</string> and <int|long|boolean|float name="k"
// value="v"/> entries.
func ReadPrefs(r io.Reader) (map[string]string, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	kv := map[string]string{}
	depth := 0
	sawMap := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if sawMap && len(kv) > 0 {
				return kv, nil // a truncated file: keep what was read
			}
			return nil, fmt.Errorf("not a preferences XML file: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if t.Name.Local != "map" {
					return nil, fmt.Errorf("not a preferences XML file: root <%s>", t.Name.Local)
				}
				sawMap = true
				continue
			}
			if depth != 2 {
				continue
			}
			var name, value string
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "name":
					name = a.Value
				case "value":
					value = a.Value
				}
			}
			if t.Name.Local == "string" {
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return kv, nil
				}
				depth--
				value = s
			}
			if name != "" {
				kv[name] = value
			}
		case xml.EndElement:
			depth--
		}
	}
	if !sawMap {
		return nil, errors.New("not a preferences XML file: no <map>")
	}
	return kv, nil
}

// PrefsOwner turns preferences into the owner's account.
func PrefsOwner(kv map[string]string) (store.ArtifactBatch, error) {
	var b store.ArtifactBatch
	jid, basis := "", ""
	if rj := strings.TrimSpace(kv["registration_jid"]); rj != "" {
		if strings.Contains(rj, "@") {
			if j, err := phone.ParseJID(rj); err == nil && j.Kind() == phone.KindPerson {
				jid = j.Bare()
			}
		} else if n, err := phone.FromDigits(rj); err == nil {
			jid = phone.PersonJID(n)
		}
		basis = "preferences registration_jid"
	}
	if jid == "" {
		cc := firstOf(kv, "cc", "com.whatsapp.registration.RegisterPhone.country_code")
		ph := firstOf(kv, "ph", "com.whatsapp.registration.RegisterPhone.phone_number")
		if cc != "" && ph != "" {
			if n, err := phone.FromDigits(cc + ph); err == nil {
				jid, basis = phone.PersonJID(n), "preferences cc+ph"
			}
		}
	}
	name := strings.TrimSpace(kv["push_name"])
	if jid == "" {
		if name != "" {
			b.Accounts = append(b.Accounts, store.Account{JID: store.OwnerJID, Names: []string{name}, NameBasis: "preferences push_name"})
		}
		return b, errors.New("no registration number: the owner stays unnamed")
	}
	a := store.Account{JID: jid, Owner: true, OwnerBasis: basis}
	if name != "" {
		a.Names, a.NameBasis = []string{name}, "preferences push_name"
	}
	b.Accounts = append(b.Accounts, a)
	return b, nil
}

func firstOf(kv map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(kv[k]); v != "" {
			return v
		}
	}
	return ""
}
