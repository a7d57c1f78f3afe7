package android

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// WADB reads wa.db: the names the owner's address book and the people
// themselves give accounts (wa_contacts), group creators
// (wa_group_admin_settings) and descriptions (wa_group_descriptions),
// spec §5.
type WADB struct {
	BatchSize int
}

// Name identifies the extractor.
func (*WADB) Name() string { return "whatsapp/android-wa" }

// Claims takes SQLite files named wa.db.
func (*WADB) Claims(p string, head []byte) bool {
	return isSQLite(head) && baseName(p) == "wa.db"
}

// Probe reports whether the database has wa_contacts.
func (*WADB) Probe(ctx context.Context, local string) (bool, error) {
	db, err := whatsapp.OpenDB(ctx, local)
	if err != nil {
		return baseName(local) == "wa.db", nil // damaged: let the extraction say why
	}
	defer db.Close()
	return db.HasTable("wa_contacts"), nil
}

// Extract reads a wa.db into the store.
func (x *WADB) Extract(ctx context.Context, in *artifact.Input) error {
	db, err := whatsapp.OpenDB(ctx, in.Local)
	if err != nil {
		return fmt.Errorf("wa.db %s: %w", in.Path, err)
	}
	defer db.Close()
	if db.Truncated != "" {
		in.Warn("%s %s: %s", "wa.db", in.Path, db.Truncated)
	}
	write := func(b store.ArtifactBatch) error { return in.Store.WriteArtifact(ctx, in.Artifact.ID, b) }
	if err := ReadWADB(ctx, db, x.BatchSize, write, in.Warn); err != nil {
		return fmt.Errorf("wa.db %s: %w", in.Path, err)
	}
	return nil
}

// ReadWADB reads an open wa.db and hands its findings to write.
func ReadWADB(ctx context.Context, db *whatsapp.DB, batchSize int, write func(store.ArtifactBatch) error, warn func(string, ...any)) error {
	if !db.HasTable("wa_contacts") || !db.HasColumn(ctx, "wa_contacts", "jid") {
		return fmt.Errorf("%w: no wa_contacts table with a jid column", whatsapp.ErrNotWhatsApp)
	}
	p := newProblems(warn)
	defer p.report()
	out := newEmitter(ctx, batchSize, write)
	out.b.Generation = "android-wa"
	col := func(t, c string) string { return db.Col(ctx, t, "t", c) }
	rows, err := db.QueryContext(ctx, `SELECT t.jid, `+col("wa_contacts", "display_name")+`, `+col("wa_contacts", "wa_name")+`, `+
		col("wa_contacts", "given_name")+`, `+col("wa_contacts", "family_name")+` FROM wa_contacts t`)
	if err != nil {
		return fmt.Errorf("wa_contacts: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var jv, dn, wn, gn, fn any
		if err := rows.Scan(&jv, &dn, &wn, &gn, &fn); err != nil {
			return fmt.Errorf("wa_contacts: %w", err)
		}
		raw := strings.TrimSpace(p.text(jv, "wa_contacts.jid"))
		j, err := phone.ParseJID(raw)
		if err != nil {
			p.note("contact whose jid is not a JID, skipped", "%.60q", raw)
			continue
		}
		display, push := p.text(dn, "wa_contacts.display_name"), p.text(wn, "wa_contacts.wa_name")
		switch j.Kind() {
		case phone.KindGroup:
			if display != "" {
				out.chat(store.Chat{JID: j.Bare(), Kind: store.ChatGroup, Subject: display})
			}
			continue
		case phone.KindPerson, phone.KindLID:
		default:
			continue
		}
		if display == "" {
			display = strings.TrimSpace(p.text(gn, "wa_contacts.given_name") + " " + p.text(fn, "wa_contacts.family_name"))
		}
		if display != "" {
			out.account(store.Account{JID: j.Bare(), Names: []string{display}, NameBasis: "wa.db display_name"})
		}
		if push != "" {
			out.account(store.Account{JID: j.Bare(), Names: []string{push}, NameBasis: "wa.db wa_name"})
		}
		if display == "" && push == "" {
			out.account(store.Account{JID: j.Bare()})
		}
		if n++; n%batchSizeOr(batchSize) == 0 {
			if err := out.flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("wa_contacts: %w", err)
	}
	if db.HasTable("wa_group_admin_settings") && db.HasColumn(ctx, "wa_group_admin_settings", "jid") && db.HasColumn(ctx, "wa_group_admin_settings", "creator_jid") {
		if err := groupRows(ctx, db, p, `SELECT jid, creator_jid FROM wa_group_admin_settings`, func(g, v string) {
			if c, ok := phone.BareJID(v); ok && v != "" {
				out.chat(store.Chat{JID: g, Kind: store.ChatGroup, CreatorJID: c, CreatorBasis: "wa.db"})
			}
		}); err != nil {
			return err
		}
	}
	if db.HasTable("wa_group_descriptions") && db.HasColumn(ctx, "wa_group_descriptions", "jid") && db.HasColumn(ctx, "wa_group_descriptions", "description") {
		if err := groupRows(ctx, db, p, `SELECT jid, description FROM wa_group_descriptions`, func(g, v string) {
			if v != "" {
				out.chat(store.Chat{JID: g, Kind: store.ChatGroup, Description: v})
			}
		}); err != nil {
			return err
		}
	}
	return out.flush()
}

func batchSizeOr(n int) int {
	if n <= 0 {
		return DefaultBatchSize
	}
	return n
}

func groupRows(ctx context.Context, db *whatsapp.DB, p *problems, q string, fn func(group, value string)) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		var g, v any
		if err := rows.Scan(&g, &v); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		gj, ok := phone.BareJID(strings.TrimSpace(p.text(g, "group jid")))
		if !ok {
			p.note("group row whose jid is not a JID, skipped", "%.60q", gj)
			continue
		}
		fn(gj, strings.TrimSpace(p.text(v, "group value")))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}
