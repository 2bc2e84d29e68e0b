package privacy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Describe tells what a sensitive value looks like without showing it, for
// rejects and errors a person reads to fix the row: "an email at
// example.com", "10 digits starting 04", "a date written like 99/99/9999".
// A hash would say nothing to that person, and the value itself must not
// be stored. The description is in square brackets, so it is never taken
// for the value.
func Describe(c Class, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	return "[" + describe(c, v) + "]"
}

func describe(c Class, v string) string {
	n := utf8.RuneCountInString(v)
	switch c {
	case Email:
		at := strings.LastIndexByte(v, '@')
		switch {
		case at < 0:
			return fmt.Sprintf("%s without @", chars(n))
		case at == len(v)-1:
			return "an email with nothing after @"
		}
		return "an email at " + strings.ToLower(v[at+1:])
	case Phone:
		digits, other := 0, false
		lead := ""
		for i := 0; i < len(v); i++ {
			switch b := v[i]; {
			case isDigit(b):
				if digits < 2 {
					lead += string(b)
				}
				digits++
			case b == '+' && digits == 0:
				lead = "+"
			case b == ' ' || b == '-' || b == '(' || b == ')' || b == '.' || b == '/':
			default:
				other = true
			}
		}
		switch {
		case digits == 0:
			return chars(n) + ", no digits"
		case other:
			return fmt.Sprintf("%s, %s, and other characters", chars(n), plural(digits, "digit"))
		case digits <= 4:
			return plural(digits, "digit")
		}
		return fmt.Sprintf("%s starting %s", plural(digits, "digit"), lead)
	case BirthDate:
		return "a date written like " + pattern(v)
	case GovID:
		return fmt.Sprintf("an id of %s (%s)", chars(n), kinds(v))
	case HomeAddress:
		return "a street address of " + chars(n)
	case Account:
		return fmt.Sprintf("an account number of %s (%s)", chars(n), kinds(v))
	}
	return fmt.Sprintf("%s of text", chars(n))
}

func chars(n int) string { return plural(n, "character") }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// pattern writes each digit as 9 and each letter as a, keeping separators:
// "31/02/1990" → "99/99/9999", "Jul 4, 1990" → "aaa 9, 9999".
func pattern(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsDigit(r):
			return '9'
		case unicode.IsLetter(r):
			return 'a'
		}
		return r
	}, v)
}

// kinds says which kinds of characters an id has.
func kinds(v string) string {
	var letters, digits, other bool
	for _, r := range v {
		switch {
		case unicode.IsDigit(r):
			digits = true
		case unicode.IsLetter(r):
			letters = true
		default:
			other = true
		}
	}
	var parts []string
	if letters {
		parts = append(parts, "letters")
	}
	if digits {
		parts = append(parts, "digits")
	}
	if other {
		parts = append(parts, "other characters")
	}
	if len(parts) == 1 {
		return parts[0] + " only"
	}
	return strings.Join(parts, " and ")
}
