package notify

import (
	"fmt"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// parsePURL parses a package URL and applies the purl specification's
// per-type normalisation (lower-case names where the type says so, PyPI's
// _ as -, ...). The library does the parsing; this only adds messages.
func parsePURL(s string) (packageurl.PackageURL, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return packageurl.PackageURL{}, fmt.Errorf("a package URL has no control characters")
		}
	}
	p, err := packageurl.FromString(s)
	if err != nil {
		return p, fmt.Errorf("not a package URL (pkg:type/namespace/name@version): %w", err)
	}
	if p.Type == "" || p.Name == "" {
		return p, fmt.Errorf("a package URL needs a type and a name")
	}
	return p, nil
}

func normalizePURLEntry(value, version string) (string, string, error) {
	p, err := parsePURL(value)
	if err != nil {
		return "", "", err
	}
	switch {
	case version == "":
	case version == "*" || version == "-":
		return "", "", fmt.Errorf("leave the version empty when it is unknown")
	case p.Version == "":
		p.Version = version
	case p.Version != version:
		return "", "", fmt.Errorf("the version column %q disagrees with the package URL's version %q", version, p.Version)
	}
	return p.ToString(), p.Version, nil
}

// purlKey is the software index key of a package: type, namespace and name,
// compared without regard to case (registries that are case-sensitive in
// theory do not hand out names differing only in case) and with PyPI's
// separators folded as its index does.
func purlKey(p packageurl.PackageURL) string {
	ns, name := strings.ToLower(p.Namespace), strings.ToLower(p.Name)
	if p.Type == packageurl.TypePyPi {
		name = strings.NewReplacer("_", "-", ".", "-").Replace(name)
	}
	return softKey("purl", p.Type, ns, name)
}

// purlVersionType says how a package type's versions are ordered: semver
// where the ecosystem requires Semantic Versioning.
func purlVersionType(typ string) VersionType {
	switch typ {
	case packageurl.TypeNPM, packageurl.TypeCargo, packageurl.TypeGolang, packageurl.TypeHex,
		packageurl.TypePub, packageurl.TypeComposer, packageurl.TypeSwift:
		return VersionSemver
	}
	return VersionCustom
}

// collectionTypes maps the package collections CVE JSON 5 names in
// collectionURL to purl types, so a CVE record's packageName can be matched
// with package URLs in inventories.
var collectionTypes = map[string]string{
	"https://www.npmjs.com":                packageurl.TypeNPM,
	"https://registry.npmjs.org":           packageurl.TypeNPM,
	"https://pypi.org":                     packageurl.TypePyPi,
	"https://pypi.python.org":              packageurl.TypePyPi,
	"https://repo.maven.apache.org/maven2": packageurl.TypeMaven,
	"https://repo1.maven.org/maven2":       packageurl.TypeMaven,
	"https://crates.io":                    packageurl.TypeCargo,
	"https://rubygems.org":                 packageurl.TypeGem,
	"https://www.nuget.org":                packageurl.TypeNuget,
	"https://api.nuget.org/v3/index.json":  packageurl.TypeNuget,
	"https://packagist.org":                packageurl.TypeComposer,
	"https://pkg.go.dev":                   packageurl.TypeGolang,
	"https://proxy.golang.org":             packageurl.TypeGolang,
	"https://hex.pm":                       packageurl.TypeHex,
	"https://pub.dev":                      packageurl.TypePub,
}

// packageKey turns a CVE JSON 5 collectionURL and packageName into a software
// key, when the collection is one whose naming purl defines.
func packageKey(collectionURL, packageName string) (string, VersionType, bool) {
	typ, ok := collectionTypes[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(collectionURL)), "/")]
	if !ok || packageName == "" {
		return "", "", false
	}
	var ns, name string
	switch typ {
	case packageurl.TypeMaven:
		// group:artifact
		g, a, found := strings.Cut(packageName, ":")
		if !found {
			return "", "", false
		}
		ns, name = g, a
	case packageurl.TypeNPM, packageurl.TypeComposer, packageurl.TypeGolang:
		// @scope/name, vendor/package, module path: the last segment is
		// the name.
		if i := strings.LastIndexByte(packageName, '/'); i >= 0 {
			ns, name = packageName[:i], packageName[i+1:]
		} else {
			name = packageName
		}
	default:
		name = packageName
	}
	p := packageurl.PackageURL{Type: typ, Namespace: ns, Name: name}
	return purlKey(p), purlVersionType(typ), true
}
