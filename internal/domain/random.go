package domain

// LooksRandom reports whether a single DNS label (no dots) looks machine
// generated rather than made of words: Tor's random certificate names
// ("6vdnm2tbi4i", "rcfcvvesd"), DGA output, random subdomains.
//
// The heuristic, for labels of 8 or more characters (shorter ones are never
// called random: there is too little signal):
//
//   - letter pairs are scored against a table of ~260 bigrams common in
//     English words and in domain names ("th", "er", "cd", "dn", ...); a
//     random string over 26 letters hits that table about 40 % of the time,
//     words 85–100 %;
//   - letter/digit alternation counts: "6vdnm2tbi4i" changes five times,
//     "office365" or "w3schools" once or twice;
//   - a long run of consonants (6+, 'y' counts as a vowel) is rare in words
//     ("strengths" has 5).
//
// A label is random when the share of uncommon bigrams is ≥ 0.5, or ≥ 0.4
// with at least one digit inside, or when letters and digits alternate 3+
// times, or when a consonant run of 6+ meets ≥ 0.3 uncommon bigrams.
// Hyphens split the label into parts judged together (pairs across a hyphen
// are not counted). Measured on Tor-style base32 labels (8–20 chars) and a
// list of real domain labels in the tests: see TestLooksRandomRates.
func LooksRandom(label string) bool {
	if len(label) < 8 || len(label) > 63 {
		return false
	}
	var (
		pairs, rare   int
		transitions   int
		digits        int
		letters       int
		run, maxRun   int
		prev          byte // previous character class: 0 none, 'a' letter, '0' digit
		prevLetter    byte
		haveInnerDigt bool
	)
	for i := 0; i < len(label); i++ {
		c := label[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch {
		case 'a' <= c && c <= 'z':
			letters++
			if prev == 'a' {
				pairs++
				if !commonBigram(prevLetter, c) {
					rare++
				}
			} else if prev == '0' {
				transitions++
			}
			if isVowel(c) {
				run = 0
			} else {
				run++
				maxRun = max(maxRun, run)
			}
			prev, prevLetter = 'a', c
		case '0' <= c && c <= '9':
			digits++
			if prev == 'a' {
				transitions++
				if i > 0 && i < len(label)-1 {
					haveInnerDigt = true
				}
			}
			run = 0
			prev = '0'
		default: // '-', '_', anything else: a word boundary
			run = 0
			prev = 0
		}
	}
	if letters < 4 {
		return false // numbers, hex-ish ids with few letters are not judged here
	}
	if transitions >= 3 {
		return true
	}
	if pairs < 4 {
		return false
	}
	share := float64(rare) / float64(pairs)
	switch {
	case share >= 0.5:
		return true
	case share >= 0.4 && haveInnerDigt:
		return true
	case maxRun >= 6 && share >= 0.3:
		return true
	}
	return false
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// commonBigrams lists, per first letter, the second letters that commonly
// follow it in English words and domain names.
var commonBigrams = [26]string{
	'a' - 'a': "bcdfgiklmnprstuvwxyz",
	'b' - 'a': "abeilorsuy",
	'c' - 'a': "acdehiklorstuy",
	'd' - 'a': "abeilnorsuy",
	'e' - 'a': "abcdefgiklmnopqrstuvwxy",
	'f' - 'a': "aefilorstu",
	'g' - 'a': "aeghilmnorsu",
	'h' - 'a': "aeiortuy",
	'i' - 'a': "abcdefgklmnopqrstvxz",
	'j' - 'a': "aeosu",
	'k' - 'a': "aeiklnosy",
	'l' - 'a': "abcdefiklmnoprstuvy",
	'm' - 'a': "abeilmnopsuy",
	'n' - 'a': "acdefgiklnostuvy",
	'o' - 'a': "abcdefgiklmnoprstuvwxyz",
	'p' - 'a': "aehilmoprstuy",
	'q' - 'a': "u",
	'r' - 'a': "abcdefgiklmnoprstuvy",
	's' - 'a': "acehiklmnopqstuwy",
	't' - 'a': "acehilmorstuwyz",
	'u' - 'a': "abcdeglmnprst",
	'v' - 'a': "aeioy",
	'w' - 'a': "aehinorsw",
	'x' - 'a': "aeiptb",
	'y' - 'a': "aeostpl",
	'z' - 'a': "aeiloz",
}

var bigramTable = func() (t [26][26]bool) {
	for i, s := range commonBigrams {
		for j := 0; j < len(s); j++ {
			t[i][s[j]-'a'] = true
		}
	}
	return t
}()

func commonBigram(a, b byte) bool { return bigramTable[a-'a'][b-'a'] }
