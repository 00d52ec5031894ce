//! Scope parsing and granting the way Entra does it for Microsoft Graph: which requested scopes
//! are valid, which the tenant grants, and how the token response's `scope` is spelled.

/// Graph's resource URI; `https://graph.microsoft.com/User.Read` means `User.Read`.
const GRAPH_PREFIXES: [&str; 2] = [
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000/",
];

/// Scopes of the sign-in itself rather than of a resource.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// What `.default` grants when the tenant setting `granted_scopes` does not say.
pub const DEFAULT_GRAPH_SCOPES: [&str; 1] = ["User.Read"];

pub fn is_oidc(scope: &str) -> bool {
    OIDC_SCOPES.iter().any(|s| s.eq_ignore_ascii_case(scope))
}

fn contains(list: &[String], scope: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(scope))
}

/// Splits a space-separated `scope` parameter, drops the Graph prefix and duplicates, and
/// rejects what Entra answers with AADSTS70011: nothing at all, characters outside
/// `A-Z a-z 0-9 - _ . ~ : /`, or `.default` mixed with named scopes.
pub fn parse(raw: &str) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for word in raw.split_whitespace() {
        let valid = word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.~:/".contains(c));
        if !valid {
            return Err(format!(
                "The provided value '{word}' for the input parameter 'scope' is not valid."
            ));
        }
        let mut scope = word;
        for prefix in GRAPH_PREFIXES {
            if scope.len() > prefix.len() && scope[..prefix.len()].eq_ignore_ascii_case(prefix) {
                scope = &scope[prefix.len()..];
            }
        }
        if !contains(&scopes, scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(
            "The provided value for the input parameter 'scope' is not valid: it is empty."
                .to_owned(),
        );
    }
    let resource: Vec<&String> = scopes.iter().filter(|s| !is_oidc(s)).collect();
    if resource.len() > 1 && resource.iter().any(|s| s.eq_ignore_ascii_case(".default")) {
        return Err("The provided value for the input parameter 'scope' is not valid: '.default' cannot be combined with other scopes.".to_owned());
    }
    Ok(scopes)
}

/// `raw` (a space-separated `scope`) with `origin/` taken off each scope that starts with it
/// (in any case): the simulated tenant's own origin is the resource URI of its Graph.
pub fn without_resource(raw: &str, origin: &str) -> String {
    let prefix = format!("{}/", origin.trim_end_matches('/'));
    raw.split_whitespace()
        .map(|word| match word.get(..prefix.len()) {
            Some(head) if head.eq_ignore_ascii_case(&prefix) && word.len() > prefix.len() => {
                &word[prefix.len()..]
            }
            _ => word,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The resources `scopes` name: Graph for bare names (and Graph's own prefixes, already
/// dropped by [`parse`]), otherwise what comes before the last `/`. The sign-in scopes name none.
pub fn resources(scopes: &[String]) -> Vec<String> {
    let mut resources: Vec<String> = Vec::new();
    for scope in scopes.iter().filter(|s| !is_oidc(s)) {
        let resource = match scope.rsplit_once('/') {
            Some((resource, _)) => resource.to_ascii_lowercase(),
            None => "https://graph.microsoft.com".to_owned(),
        };
        if !resources.contains(&resource) {
            resources.push(resource);
        }
    }
    resources
}

/// The Graph scopes a token gets: the requested ones (`.default` expanded), kept only where the
/// tenant's `granted_scopes` allows them when that setting is present.
pub fn granted_resource_scopes(requested: &[String], allowed: Option<&[String]>) -> Vec<String> {
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.iter().filter(|s| !is_oidc(s)) {
        if scope.eq_ignore_ascii_case(".default") {
            match allowed {
                Some(list) => granted.extend(list.iter().filter(|s| !is_oidc(s)).cloned()),
                None => granted.extend(DEFAULT_GRAPH_SCOPES.iter().map(|s| (*s).to_owned())),
            }
        } else if allowed.is_none_or(|list| contains(list, scope)) {
            granted.push(scope.clone());
        }
    }
    let mut unique: Vec<String> = Vec::new();
    for scope in granted {
        if !contains(&unique, &scope) {
            unique.push(scope);
        }
    }
    unique
}

/// The token response's `scope`: the Graph scopes first, then the sign-in scopes the way Entra
/// lists them (`User.Read profile openid email`). `openid` brings `profile` and `email` along;
/// `offline_access` is never listed.
pub fn response_scope(requested: &[String], resource: &[String]) -> String {
    let mut words: Vec<String> = resource.to_vec();
    let openid = contains(requested, "openid");
    for oidc in ["profile", "openid", "email"] {
        if openid || contains(requested, oidc) {
            words.push(oidc.to_owned());
        }
    }
    words.join(" ")
}

/// `true` when every scope of `subset` is in `of` (`.default` and sign-in scopes always are).
pub fn is_subset(subset: &[String], of: &[String]) -> bool {
    subset
        .iter()
        .all(|s| is_oidc(s) || s.eq_ignore_ascii_case(".default") || contains(of, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parse_strips_the_graph_prefix_and_duplicates() {
        assert_eq!(
            parse("openid https://graph.microsoft.com/User.Read user.read  profile"),
            Ok(v(&["openid", "User.Read", "profile"]))
        );
    }

    #[test]
    fn parse_rejects_empty_bad_characters_and_mixed_default() {
        assert!(parse("").is_err());
        assert!(parse("   ").is_err());
        assert!(parse("User.Read <script>").is_err());
        assert!(parse("User.Read\"").is_err());
        assert!(parse("User.Read .default").is_err());
        assert!(parse("openid .default").is_ok());
    }

    #[test]
    fn granting_intersects_with_the_tenant_list() {
        let requested = v(&["openid", "offline_access", "User.Read", "Mail.Read"]);
        assert_eq!(
            granted_resource_scopes(&requested, None),
            v(&["User.Read", "Mail.Read"])
        );
        let allowed = v(&["user.read"]);
        assert_eq!(
            granted_resource_scopes(&requested, Some(&allowed)),
            v(&["User.Read"])
        );
        assert_eq!(
            granted_resource_scopes(&v(&[".default"]), None),
            v(&["User.Read"])
        );
        assert_eq!(
            granted_resource_scopes(&v(&[".default"]), Some(&v(&["Mail.Read", "openid"]))),
            v(&["Mail.Read"])
        );
    }

    #[test]
    fn resources_of_scopes() {
        assert_eq!(
            resources(&v(&["openid", "User.Read", "Mail.Read"])).len(),
            1
        );
        assert_eq!(resources(&v(&["User.Read", "api://other/read"])).len(), 2);
        assert!(resources(&v(&["openid", "offline_access"])).is_empty());
    }

    #[test]
    fn response_scope_follows_entra_spelling() {
        let requested = v(&["openid", "profile", "offline_access", "User.Read"]);
        assert_eq!(
            response_scope(&requested, &v(&["User.Read"])),
            "User.Read profile openid email"
        );
        assert_eq!(
            response_scope(&v(&["offline_access", "User.Read"]), &v(&["User.Read"])),
            "User.Read"
        );
    }

    #[test]
    fn the_simulated_tenants_own_origin_names_graph() {
        assert_eq!(
            without_resource(
                "openid https://127.0.0.1:9/Mail.Read HTTPS://127.0.0.1:9/.default https://127.0.0.1:9/ User.Read",
                "https://127.0.0.1:9"
            ),
            "openid Mail.Read .default https://127.0.0.1:9/ User.Read"
        );
    }

    #[test]
    fn subsets() {
        let original = v(&["openid", "User.Read", "Mail.Read"]);
        assert!(is_subset(&v(&["mail.read", "offline_access"]), &original));
        assert!(!is_subset(&v(&["Files.Read"]), &original));
    }
}
