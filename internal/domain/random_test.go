package domain

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Real labels (second-level names and common host words) that must not be
// called random.
var realLabels = strings.Fields(`
www microsoft googleapis windowsupdate cloudflare akamaiedge amazonaws facebook
instagram wikipedia stackoverflow kubernetes strengths twelfths mcdonalds
salesforce servicenow msftncsi msftconnecttest xboxlive doubleclick
googlesyndication jsdelivr bootstrapcdn gstatic wpengine mzstatic nflxvideo
tiktokcdn googleusercontent cloudfront akamaized fastlylb azureedge
trafficmanager blogspot wordpress linkedin whatsapp telegram dropbox
dropboxusercontent onedrive sharepoint office365 outlook hotmail yahoodns
cloudapp azurewebsites herokuapp githubusercontent spotify soundcloud
pinterest redditmedia discordapp slack-edge ciscospark crashlytics firebaseio
doubleverify rubiconproject pubmatic casalemedia advertising
scorecardresearch quantserve chartbeat optimizely newrelic datadoghq
mixpanel amplitude intercom freshdesk atlassian bitbucket jetbrains
fedoraproject archlinux thunderbird chromium googlevideo googleadservices
google-analytics googletagmanager googletagservices icloud-content
letsencrypt globalsign trendmicro crowdstrike sentinelone paloaltonetworks
checkpoint netskope cloudflare-dns duckduckgo startpage tripadvisor
ubereats deliveroo aliexpress bilibili wildberries theguardian
washingtonpost bloomberg administrator development production staging
internal corporate exchange autodiscover lyncdiscover
enterpriseregistration enterpriseenrollment domaincontroller fileserver
printserver storefront webmail us-east-1 eu-west-2 ec2-54-12-34-56
compute-1 w3schools 1password x509certs mp3juices 365scores
steampowered steamcommunity epicgames riotgames kaspersky
playstation nintendo safebrowsing clients6 connectivitycheck
gateway-fe edgesuite akamaihd edgekey trafficshaping smartscreen
officecdn officeapps msauth msftauth microsoftonline
login-live adservice pagead2 ssl-images-amazon media-amazon
fls-na amazon-adsystem cloudfront-labs yt3-ggpht
githubassets objects-origin raw-githubusercontent
s3-accelerate dualstack elasticbeanstalk execute-api
awsglobalaccelerator cognito-identity
`)

func TestLooksRandomFalsePositives(t *testing.T) {
	for _, l := range realLabels {
		if LooksRandom(l) {
			t.Errorf("LooksRandom(%q) = true", l)
		}
	}
}

func TestLooksRandomTrue(t *testing.T) {
	// Tor certificate and SNI labels seen in the project corpus and the
	// brief, and typical DGA output.
	for _, l := range []string{
		"6vdnm2tbi4i", "lkvzrk3ea2y", "rcfcvvesd", "wlfkimfg", "7wvvz5bhwexzzobr",
		"2v46rgkblr35xvcqvtl", "xjvqkzwpt", "qzxkvbnmwrt", "a8f3k2m9x7q1",
	} {
		if !LooksRandom(l) {
			t.Errorf("LooksRandom(%q) = false", l)
		}
	}
	for _, l := range []string{"", "short", "abc123", "12345678901", "k533f"} {
		if LooksRandom(l) {
			t.Errorf("LooksRandom(%q) = true", l)
		}
	}
}

const base32 = "abcdefghijklmnopqrstuvwxyz234567"

// torLabel mimics Tor's crypto_random_hostname(8, 20, ...): base32 of random
// bytes, truncated to a random length in [8, 20].
func torLabel(r *rand.Rand) string {
	n := 8 + r.IntN(13)
	b := make([]byte, n)
	for i := range b {
		b[i] = base32[r.IntN(32)]
	}
	return string(b)
}

func TestLooksRandomRates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 5000
	hit := 0
	byLen := map[int][2]int{}
	for i := 0; i < n; i++ {
		l := torLabel(r)
		c := byLen[len(l)]
		c[1]++
		if LooksRandom(l) {
			hit++
			c[0]++
		}
		byLen[len(l)] = c
	}
	rate := float64(hit) / n
	t.Logf("Tor-style labels called random: %.1f%%", 100*rate)
	for l := 8; l <= 20; l++ {
		t.Logf("  len %2d: %.0f%%", l, 100*float64(byLen[l][0])/float64(byLen[l][1]))
	}
	if rate < 0.85 {
		t.Errorf("detection rate %.2f < 0.85", rate)
	}
	// Two independent labels (subject and issuer): at least one random.
	pairs := 0
	for i := 0; i < n; i++ {
		if LooksRandom(torLabel(r)) || LooksRandom(torLabel(r)) {
			pairs++
		}
	}
	t.Logf("Tor-style subject/issuer pairs with a random label: %.2f%%", 100*float64(pairs)/n)
	if float64(pairs)/n < 0.97 {
		t.Errorf("pair detection %.3f < 0.97", float64(pairs)/n)
	}
}

func BenchmarkLooksRandom(b *testing.B) {
	ls := []string{"googleapis", "6vdnm2tbi4i", "windowsupdate", "rcfcvvesd"}
	for i := 0; b.Loop(); i++ {
		LooksRandom(ls[i%len(ls)])
	}
}
