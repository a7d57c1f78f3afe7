package hashset

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const icseHeader = "MD5;SHA1;ZZ40;PhotoDNA;Lace;Image ID;Is distributed;Victim identified;Offender identified;" +
	"Series name;Investigation name;Agency;Number of submissions;File Available;Media Type;Baseline"

func TestICSE(t *testing.T) {
	_, pdnaHex := fakePhotoDNA(5)
	pdnaB64, _ := fakePhotoDNA(5)
	zz40 := strings.Repeat("AB", 16)
	lines := []string{
		icseHeader,
		fakeMD5(1) + ";" + fakeSHA1(1) + ";" + zz40 + ";" + pdnaHex + ";bGFjZQ==;1001;Y;N;Yes;Series X;Op Example;Agency A;3;True;Image;Yes",
		upper(fakeMD5(2)) + ";" + fakeSHA1(2) + ";;;;1002;n;y;No;;;;1;False;Video;No",
		"",
		fakeMD5(3) + ";;;;;1003;T;F;true;;;;;;;",
	}
	path := writeFile(t, "icse.csv", []byte("\xEF\xBB\xBF"+strings.Join(lines, "\r\n")+"\r\n"))
	if f, err := Detect(path); f != ICSE || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, meta := mustReadAll(t, path, Options{})
	if meta.Format != ICSE || meta.Profile != "" || len(got) != 3 {
		t.Fatalf("meta %+v, %d entries", meta, len(got))
	}
	want := []Entry{
		{MD5: fakeMD5(1), SHA1: fakeSHA1(1), PhotoDNA: pdnaB64, PDQQuality: -1, Size: -1, Series: "Series X",
			Distributed: boolp(true), VictimIdentified: boolp(false), OffenderIdentified: boolp(true)},
		{MD5: fakeMD5(2), SHA1: fakeSHA1(2), PDQQuality: -1, Size: -1,
			Distributed: boolp(false), VictimIdentified: boolp(true), OffenderIdentified: boolp(false)},
		{MD5: fakeMD5(3), PDQQuality: -1, Size: -1,
			Distributed: boolp(true), VictimIdentified: boolp(false), OffenderIdentified: boolp(true)},
	}
	wantLine := []int64{2, 3, 5}
	for i := range want {
		if d := entryDiff(got[i], want[i]); d != "" {
			t.Errorf("entry %d: %s", i, d)
		}
		if got[i].Line != wantLine[i] || got[i].Ref != fmt.Sprint(1001+i) {
			t.Errorf("entry %d: line %d ref %q", i, got[i].Line, got[i].Ref)
		}
	}
	extra := map[string]string{}
	for _, f := range got[0].Extra {
		extra[f.Name] = f.Value
	}
	if extra["ZZ40"] != zz40 || extra["Baseline"] != "Yes" || extra["Media Type"] != "Image" || extra["Agency"] != "Agency A" || extra["Lace"] != "bGFjZQ==" {
		t.Errorf("extra = %v", extra)
	}
	// A bad flag names the line.
	bad := writeFile(t, "bad.csv", []byte(icseHeader+"\n"+fakeMD5(1)+";;;;;1;maybe;;;;;;;;;\n"))
	_, _, err := readAll(t, bad, Options{Format: ICSE})
	if err == nil || !strings.Contains(err.Error(), bad+" line 2: Is distributed \"maybe\": not a yes/no value") {
		t.Errorf("err = %v", err)
	}
}

func TestSums(t *testing.T) {
	cases := []struct {
		format Format
		hash   func(int) string
	}{{MD5Sum, fakeMD5}, {SHA1Sum, fakeSHA1}, {SHA256Sum, fakeSHA256}}
	for _, c := range cases {
		t.Run(string(c.format), func(t *testing.T) {
			content := c.hash(1) + "  plain name.jpg\n" +
				upper(c.hash(2)) + " *binary.bin\n" +
				"\\" + c.hash(3) + "  dir\\\\with\\nnewline\n" +
				c.hash(4) + " bsd style\n" +
				"\n" +
				strings.ToUpper(string(c.format[:len(c.format)-3])) + " (tagged (name)) = " + c.hash(5) + "\n"
			path := writeFile(t, "list."+string(c.format), []byte(content))
			if f, err := Detect(path); f != c.format || err != nil {
				t.Fatalf("Detect = %q %v", f, err)
			}
			got, meta := mustReadAll(t, path, Options{})
			if meta.Format != c.format || len(got) != 5 {
				t.Fatalf("format %q, %d entries", meta.Format, len(got))
			}
			names := []string{"plain name.jpg", "binary.bin", "dir\\with\nnewline", "bsd style", "tagged (name)"}
			lines := []int64{1, 2, 3, 4, 6}
			for i, e := range got {
				var h string
				switch c.format {
				case MD5Sum:
					h = e.MD5
				case SHA1Sum:
					h = e.SHA1
				default:
					h = e.SHA256
				}
				if h != c.hash(i+1) || e.Name != names[i] || e.Line != lines[i] {
					t.Errorf("entry %d: %q %q line %d", i, h, e.Name, e.Line)
				}
			}
		})
	}
	// A line of another length in an md5sum file is an error with its line.
	path := writeFile(t, "mixed.md5", []byte(fakeMD5(1)+"  a\n"+fakeSHA1(1)+"  b\n"))
	_, _, err := readAll(t, path, Options{})
	if err == nil || !strings.Contains(err.Error(), path+" line 2: ") || !strings.Contains(err.Error(), "md5sum lines hold 32") {
		t.Errorf("err = %v", err)
	}
}

func TestHashdeep(t *testing.T) {
	content := "%%%% HASHDEEP-1.0\n" +
		"%%%% size,md5,sha256,filename\n" +
		"## Invoked from: /home/example\n" +
		"## $ hashdeep -r dir\n" +
		"##\n" +
		"5," + fakeMD5(1) + "," + fakeSHA256(1) + ",/dir/a,b,c.txt\n" +
		"0," + upper(fakeMD5(2)) + "," + fakeSHA256(2) + ",/dir/empty\n"
	path := writeFile(t, "hashdeep.txt", []byte(content))
	if f, err := Detect(path); f != Hashdeep || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, meta := mustReadAll(t, path, Options{})
	if meta.Version != "1.0" || meta.Model != "size,md5,sha256,filename" || len(got) != 2 {
		t.Fatalf("meta %+v, %d entries", meta, len(got))
	}
	if got[0].MD5 != fakeMD5(1) || got[0].SHA256 != fakeSHA256(1) || got[0].Size != 5 || got[0].Name != "/dir/a,b,c.txt" || got[0].Line != 6 {
		t.Errorf("entry 0 = %+v", got[0])
	}
	if got[1].MD5 != fakeMD5(2) || got[1].Size != 0 || got[1].Line != 7 {
		t.Errorf("entry 1 = %+v", got[1])
	}
	bad := writeFile(t, "bad.txt", []byte("%%%% HASHDEEP-1.0\n%%%% size,md5,filename\nx,"+fakeMD5(1)+",f\n"))
	_, _, err := readAll(t, bad, Options{})
	if err == nil || !strings.Contains(err.Error(), bad+" line 3: size \"x\"") {
		t.Errorf("err = %v", err)
	}
	nohead := writeFile(t, "nohead.txt", []byte("5,"+fakeMD5(1)+",f\n"))
	if _, _, err := readAll(t, nohead, Options{Format: Hashdeep}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("no header: err = %v", err)
	}
}

func TestPlain(t *testing.T) {
	content := "# made-up list\n" + fakeMD5(1) + "\n" + upper(fakeSHA1(2)) + "  \n\n" + fakeSHA256(3) + "\r\n"
	path := writeFile(t, "plain.txt", []byte(content))
	if f, err := Detect(path); f != Plain || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, _ := mustReadAll(t, path, Options{})
	if len(got) != 3 || got[0].MD5 != fakeMD5(1) || got[1].SHA1 != fakeSHA1(2) || got[2].SHA256 != fakeSHA256(3) {
		t.Fatalf("got %+v", got)
	}
	if got[0].Line != 2 || got[1].Line != 3 || got[2].Line != 5 {
		t.Errorf("lines %d %d %d", got[0].Line, got[1].Line, got[2].Line)
	}
	// The example of a clear error.
	var b strings.Builder
	for i := 1; i < 1042; i++ {
		b.WriteString(fakeMD5(i) + "\n")
	}
	b.WriteString("xyz\n")
	bad := writeFile(t, "hashes.txt", []byte(b.String()))
	_, _, err := readAll(t, bad, Options{Format: Plain})
	if err == nil || err.Error() != bad+` line 1042: hash "xyz": not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hexadecimal digits)` {
		t.Errorf("err = %v", err)
	}
	got, meta := mustReadAll(t, bad, Options{Format: Plain, SkipBad: true})
	if len(got) != 1041 || meta.Skipped != 1 {
		t.Errorf("SkipBad: %d entries, %d skipped", len(got), meta.Skipped)
	}
}

func TestPDQList(t *testing.T) {
	content := "hash,quality,id\n" + fakePDQ(1) + ",100,img/one.png\n" + upper(fakePDQ(2)) + ",49\n" + fakePDQ(3) + "\n" +
		fakePDQ(4) + ",0,a,b,c\n"
	path := writeFile(t, "list.pdq", []byte(content))
	if f, err := Detect(path); f != PDQList || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, _ := mustReadAll(t, path, Options{})
	if len(got) != 4 {
		t.Fatalf("got %d entries", len(got))
	}
	want := []struct {
		q   int
		ref string
	}{{100, "img/one.png"}, {49, ""}, {-1, ""}, {0, "a,b,c"}}
	for i, w := range want {
		if got[i].PDQ != fakePDQ(i+1) || got[i].PDQQuality != w.q || got[i].Ref != w.ref || got[i].Line != int64(i+2) {
			t.Errorf("entry %d = %+v", i, got[i])
		}
	}
	for _, bad := range []string{fakePDQ(1) + ",101\n", fakePDQ(1)[:60] + ",50\n", "xyz,50\n"} {
		p := writeFile(t, "bad.pdq", []byte(bad))
		_, _, err := readAll(t, p, Options{Format: PDQList})
		if err == nil || !strings.Contains(err.Error(), p+" line 1: pdq") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestGenericCSV(t *testing.T) {
	content := "\"MD5\",\"SHA-1\",\"SHA-256\",Category,Series Name,Tags,File Size,File Name,Distributed,DB: NSRL,PDQ,Quality\n" +
		fakeMD5(1) + "," + fakeSHA1(1) + "," + fakeSHA256(1) + ",1,\"Series, with comma\",t,123,a.jpg,Yes,-1,,\n" +
		upper(fakeMD5(2)) + ",,,Child Exploitive (non-CAM)/Age Difficult,,,,b.jpg,,,\n" +
		fakeMD5(3) + ",,,Uncategorized,,,,,,," + fakePDQ(3) + ",77\n" +
		",,,,,,,,,,,\n" +
		fakeMD5(4) + ",,,CAM,,,,,,,\n"
	path := writeFile(t, "griffeye.csv", []byte(content))
	if f, err := Detect(path); f != CSV || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, meta := mustReadAll(t, path, Options{})
	if meta.Profile != "US" || len(got) != 4 {
		t.Fatalf("meta %+v, %d entries", meta, len(got))
	}
	want := []Entry{
		{MD5: fakeMD5(1), SHA1: fakeSHA1(1), SHA256: fakeSHA256(1), PDQQuality: -1, Category: intp(1), Series: "Series, with comma", Tags: "t", Size: 123, Distributed: boolp(true)},
		{MD5: fakeMD5(2), PDQQuality: -1, Size: -1, Category: intp(2)},
		{MD5: fakeMD5(3), PDQ: fakePDQ(3), PDQQuality: 77, Size: -1},
		{MD5: fakeMD5(4), PDQQuality: -1, Size: -1, Category: intp(1)},
	}
	for i := range want {
		if d := entryDiff(got[i], want[i]); d != "" {
			t.Errorf("entry %d: %s", i, d)
		}
	}
	if got[0].Name != "a.jpg" || got[3].Line != 6 {
		t.Errorf("name %q, line %d", got[0].Name, got[3].Line)
	}

	// HashKeeper and NSRL v2 layouts are generic CSV too.
	hk := "file_id,hashset_id,file_name,directory,hash,file_size\n7,1,x.exe,C:\\,\"" + upper(fakeMD5(9)) + "\",42\n"
	got, _ = mustReadAll(t, writeFile(t, "set.hsh", []byte(hk)), Options{})
	if len(got) != 1 || got[0].MD5 != fakeMD5(9) || got[0].Ref != "7" || got[0].Name != "x.exe" || got[0].Size != 42 {
		t.Errorf("hashkeeper: %+v", got)
	}
	nsrl2 := `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"` + "\n" +
		`"` + upper(fakeSHA1(8)) + `","` + upper(fakeMD5(8)) + `","AABBCCDD","setup.exe",10,1,"358",""` + "\n"
	got, _ = mustReadAll(t, writeFile(t, "NSRLFile.txt", []byte(nsrl2)), Options{})
	if len(got) != 1 || got[0].SHA1 != fakeSHA1(8) || got[0].MD5 != fakeMD5(8) || got[0].Size != 10 {
		t.Errorf("nsrl v2: %+v", got)
	}

	// Tab-separated, with a category name under DHS.
	tsv := "sha256\tcategory\n" + fakeSHA256(1) + "\tNon-pertinent\n"
	got, _ = mustReadAll(t, writeFile(t, "x.tsv", []byte(tsv)), Options{Profile: "DHS"})
	if len(got) != 1 || fmtPtr(got[0].Category) != "5" {
		t.Errorf("tsv: %+v", got)
	}

	for name, c := range map[string]struct{ content, want string }{
		"no hash column": {"name,size\na,1\n", "line 1: the header"},
		"bad sha1":       {"md5,sha1\n" + fakeMD5(1) + ",abc\n", `line 2: sha1 "abc": not 40 hexadecimal digits`},
		"bad category":   {"md5,category\n" + fakeMD5(1) + ",Maybe bad\n", `line 2: category "Maybe bad"`},
		"bad size":       {"md5,size\n" + fakeMD5(1) + ",12kb\n", `line 2: size "12kb"`},
		"empty":          {"", "empty file"},
	} {
		p := writeFile(t, "bad.csv", []byte(c.content))
		_, _, err := readAll(t, p, Options{Format: CSV})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), p) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestDetectUnknown(t *testing.T) {
	for name, content := range map[string]string{
		"prose":      "Dear colleague,\nplease find attached.\n",
		"short hex":  "abcdef\n",
		"other json": `{"hello": 1}`,
		"empty":      "",
		"json array": `[1,2,3]`,
	} {
		p := writeFile(t, "x", []byte(content))
		f, err := Detect(p)
		if err == nil || !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Detect = %q, %v", name, f, err)
		}
	}
	// A SQLite database that is not an NSRL one.
	p := sqliteFile(t, `CREATE TABLE other (x)`)
	if f, err := Detect(p); err == nil || !strings.Contains(err.Error(), "not an NSRL RDS v3") {
		t.Errorf("sqlite: Detect = %q, %v", f, err)
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("AUTO"); f != "" || err != nil {
		t.Errorf("auto: %q %v", f, err)
	}
	if f, err := ParseFormat("Hashdeep"); f != Hashdeep || err != nil {
		t.Errorf("hashdeep: %q %v", f, err)
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}

func TestLongLine(t *testing.T) {
	p := writeFile(t, "long.txt", []byte(fakeMD5(1)+"\n"+strings.Repeat("a", 2<<20)+"\n"))
	_, _, err := readAll(t, p, Options{Format: Plain})
	if err == nil || !strings.Contains(err.Error(), "line 2: line longer than 1 MiB") {
		t.Errorf("err = %v", err)
	}
}

func TestNormHexRejectsControlBytes(t *testing.T) {
	for _, s := range []string{"0000000000000000000000000000000\x00", "\x000000000000000000000000000000000", "000000000000000000000000000000 0", "g0000000000000000000000000000000"} {
		if h, err := normHex("md5", s, 32); err == nil {
			t.Errorf("normHex(%q) = %q", s, h)
		}
		if h, err := normHexBytes("md5", []byte(s), 32); err == nil {
			t.Errorf("normHexBytes(%q) = %q", s, h)
		}
	}
	if h, err := normHex("md5", "ABCDEF0123456789abcdef0123456789", 32); err != nil || h != "abcdef0123456789abcdef0123456789" {
		t.Errorf("normHex = %q, %v", h, err)
	}
}
