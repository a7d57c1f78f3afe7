package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/store"
)

// The listings of what the WhatsApp extractors found: chats, accounts,
// messages, group events and invite links. JSON prints the store's view
// types, whose fields are the documented ones.

func newChatsCmd(a *app) *cobra.Command {
	var format string
	var q store.ChatQuery
	cmd := &cobra.Command{
		Use:   "chats",
		Short: "List the WhatsApp groups and one-to-one chats found on the devices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.ChatView]{
					{"jid", func(v store.ChatView) string { return v.JID }},
					{"kind", func(v store.ChatView) string { return v.Kind }},
					{"subject", func(v store.ChatView) string { return v.Subject }},
					{"created", func(v store.ChatView) string { return optTime(v.Created) }},
					{"creator", func(v store.ChatView) string { return deref(v.Creator) }},
					{"members", func(v store.ChatView) string { return strconv.Itoa(v.Members) }},
					{"devices", func(v store.ChatView) string { return strings.Join(v.Devices, ",") }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Chats(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	cmd.Flags().StringVar(&q.Device, "device", "", "only chats seen on this device")
	cmd.Flags().StringVar(&q.Kind, "kind", "", "only chats of this kind: group, direct, broadcast, status, newsletter")
	addFormatFlag(cmd, &format)
	return cmd
}

func newAccountsCmd(a *app) *cobra.Command {
	var format string
	var q store.AccountQuery
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the WhatsApp accounts found on the devices, merged across devices, with phone numbers and countries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.AccountView]{
					{"jid", func(v store.AccountView) string { return v.JID }},
					{"phone", func(v store.AccountView) string { return deref(v.Phone) }},
					{"country", func(v store.AccountView) string { return deref(v.Country) }},
					{"names", func(v store.AccountView) string { return strings.Join(v.Names, "; ") }},
					{"devices", func(v store.AccountView) string { return strings.Join(v.Devices, ",") }},
					{"owner_of", func(v store.AccountView) string { return strings.Join(v.OwnerOf, ",") }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Accounts(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	cmd.Flags().StringVar(&q.Device, "device", "", "only accounts seen on this device")
	cmd.Flags().StringVar(&q.Country, "country", "", "only accounts of this country (ISO 3166 alpha-2)")
	addFormatFlag(cmd, &format)
	return cmd
}

func newMessagesCmd(a *app) *cobra.Command {
	var format string
	var q store.MessageQuery
	cmd := &cobra.Command{
		Use:   "messages",
		Short: "List WhatsApp messages, by time",
		Long: `List WhatsApp messages, by time. --chat takes a chat's JID; --sender a JID or a
phone number ("+34 600 000 001"); --with-media keeps the messages that carry a
media hash or path.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.MessageView]{
					{"device", func(v store.MessageView) string { return v.Device }},
					{"chat", func(v store.MessageView) string { return v.Chat }},
					{"sender", func(v store.MessageView) string { return deref(v.Sender) }},
					{"time", func(v store.MessageView) string { return fmtTime(v.Time) }},
					{"from_me", func(v store.MessageView) string { return strconv.FormatBool(v.FromMe) }},
					{"type", func(v store.MessageView) string { return v.Type }},
					{"text", func(v store.MessageView) string { return textOrCaption(v) }},
					{"media_sha256", func(v store.MessageView) string { return deref(v.MediaSHA256) }},
					{"media_path", func(v store.MessageView) string { return v.MediaPath }},
					{"media_mime", func(v store.MessageView) string { return v.MediaMIME }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Messages(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	cmd.Flags().StringVar(&q.Chat, "chat", "", "only messages of this chat (JID)")
	cmd.Flags().StringVar(&q.Sender, "sender", "", "only messages sent by this account (JID or phone number)")
	cmd.Flags().BoolVar(&q.WithMedia, "with-media", false, "only messages with media")
	cmd.Flags().StringVar(&q.Device, "device", "", "only messages found on this device")
	cmd.Flags().StringVar(&q.SHA256, "sha256", "", "only messages whose media has this SHA-256")
	cmd.Flags().IntVar(&q.Limit, "limit", 0, "at most this many messages (0: all)")
	addFormatFlag(cmd, &format)
	return cmd
}

func newEventsCmd(a *app) *cobra.Command {
	var format string
	var q store.EventQuery
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List WhatsApp group events (created, added, removed, left, joined by link, subject changes…), by time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.EventView]{
					{"chat", func(v store.EventView) string { return v.Chat }},
					{"time", func(v store.EventView) string { return fmtTime(v.Time) }},
					{"action", func(v store.EventView) string { return v.Action }},
					{"actor", func(v store.EventView) string { return deref(v.Actor) }},
					{"targets", func(v store.EventView) string { return strings.Join(v.Targets, ",") }},
					{"device", func(v store.EventView) string { return v.Device }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Events(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	cmd.Flags().StringVar(&q.Chat, "chat", "", "only events of this group (JID)")
	cmd.Flags().StringVar(&q.Action, "action", "", "only events of this action")
	cmd.Flags().StringVar(&q.Device, "device", "", "only events found on this device")
	addFormatFlag(cmd, &format)
	return cmd
}

func newLinksCmd(a *app) *cobra.Command {
	var format string
	var q store.LinkQuery
	cmd := &cobra.Command{
		Use:   "links",
		Short: "List WhatsApp invite links (and channel and click-to-chat links) and where they were seen",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.LinkView]{
					{"kind", func(v store.LinkView) string { return v.Kind }},
					{"code", func(v store.LinkView) string { return v.Code }},
					{"group", func(v store.LinkView) string { return v.Group }},
					{"chat", func(v store.LinkView) string { return v.Chat }},
					{"device", func(v store.LinkView) string { return v.Device }},
					{"time", func(v store.LinkView) string { return optTime(v.Time) }},
					{"url", func(v store.LinkView) string { return v.URL }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Links(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	cmd.Flags().StringVar(&q.Device, "device", "", "only links seen on this device")
	cmd.Flags().StringVar(&q.Kind, "kind", "", "only links of this kind: group-invite, invite-card, channel, click-to-chat, contact-qr")
	cmd.Flags().StringVar(&q.Code, "code", "", "only this code")
	addFormatFlag(cmd, &format)
	return cmd
}

func optTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func textOrCaption(v store.MessageView) string {
	if v.Text != "" {
		return v.Text
	}
	return v.Caption
}
