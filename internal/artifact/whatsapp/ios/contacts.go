package ios

import (
	"fmt"
	"strings"

	"vigil/internal/phone"
)

// contacts reads ContactsV2.sqlite's ZWAADDRESSBOOKCONTACT (spec §6.6):
// the names the owner saved, and the LID of each contact where the
// version records it. Rows of people who are not on WhatsApp (no
// ZWHATSAPPID, no ZLID) say nothing about accounts and are skipped.
func (r *reader) contacts() error {
	t := "ZWAADDRESSBOOKCONTACT"
	q := `SELECT ` + r.db.Col(r.ctx, t, "c", "Z_PK") + ` AS pk, ` + r.cols(t, "c", "ZFULLNAME", "ZGIVENNAME", "ZLASTNAME", "ZBUSINESSNAME", "ZWHATSAPPID", "ZLID", "ZUSERNAME") +
		` FROM ZWAADDRESSBOOKCONTACT c`
	_, err := r.readTable(t, "c", q, "", func(row map[string]any) error {
		wa := toJID(r.text(row["ZWHATSAPPID"]), phone.ServerPerson)
		lid := toJID(r.text(row["ZLID"]), phone.ServerLID)
		jid, lidJID := "", ""
		if p, err := phone.ParseJID(wa); err == nil && (p.Kind() == phone.KindPerson || p.Kind() == phone.KindLID) {
			jid = p.Bare()
		}
		if p, err := phone.ParseJID(lid); err == nil && p.Kind() == phone.KindLID {
			lidJID = p.Bare()
		}
		if jid == "" {
			jid = lidJID
		}
		if jid == "" {
			if wa != "" || lid != "" {
				r.counts["contacts whose WhatsApp ID is not a JID, skipped"]++
			}
			return nil
		}
		name := r.text(row["ZFULLNAME"])
		if name == "" {
			name = strings.TrimSpace(r.text(row["ZGIVENNAME"]) + " " + r.text(row["ZLASTNAME"]))
		}
		r.name(jid, name, "ContactsV2 address book")
		r.name(jid, r.text(row["ZBUSINESSNAME"]), "ContactsV2 business name")
		r.name(jid, r.text(row["ZUSERNAME"]), "ContactsV2 username")
		if lidJID != "" && lidJID != jid {
			r.mapLID(jid, lidJID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	return r.flush(true)
}
