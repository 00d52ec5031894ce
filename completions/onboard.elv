
use builtin;
use str;

set edit:completion:arg-completer[onboard] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'onboard'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'onboard'= {
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand invite 'Onboard a tenant: sign in as its service account and save the credential'
            cand validate 'Check that a saved credential still works (for people and for CI)'
            cand token 'Print a fresh access token on stdout, and nothing else'
            cand permissions 'Show the delegated permissions the registration holds in the tenant'
            cand list 'List the saved profiles and how their last validation went'
            cand export 'Print a profile''s credential as JSON, for a CI secret'
            cand remove 'Delete a saved profile and its credential'
            cand consent-url 'Print the admin consent link for the tenant''s reviewer'
            cand doctor 'Pre-flight checks before calling a customer, each with its fix'
            cand simulate 'Run the simulated tenant on loopback and print its authority URL'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'onboard;invite'= {
            cand --tenant 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com'
            cand --client-id 'The provider''s app registration: its application (client) ID, a GUID'
            cand --cloud 'The Microsoft cloud [default: global]'
            cand --authority 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)'
            cand --account 'The service account that signs in (a UPN such as svc@contoso.com)'
            cand --scope 'A scope to request (repeatable) [default: openid profile offline_access User.Read]'
            cand --redirect-uri 'A redirect URI registered on the app; without one Microsoft''s admin consent link does not work and the reviewer is shown the Entra admin center route instead'
            cand --flow 'How the service account signs in: `device` (a code entered at the sign-in page) or `browser` (for tenants whose Conditional Access blocks the device code flow; the app needs http://localhost registered on its "Mobile and desktop applications" platform) [default: device]'
            cand --timeout 'Give up on the wizard after this long, e.g. 90s, 15m, 1h30m (at most 24h); once the credential is being saved, the save and the final validation always finish'
            cand --store-fallback 'Where to save the sign-in''s credential when the keyring cannot take it, instead of losing it (`file`: the plaintext file store, with its warning)'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --no-browser 'Do not open a browser; print the sign-in URL instead'
            cand --no-clipboard 'Do not copy the code to the clipboard'
            cand --qr 'Also show the sign-in URL as a QR code, to sign in on a phone'
            cand --accessible 'Static lines for screen readers: numbered choices instead of repainted prompts, no spinner or box, the time left said once a minute, each key said in words (also when ACCESSIBLE is set and not empty)'
            cand --non-interactive 'Never prompt; a missing value is an error naming its flag (implied when stdin is not a terminal)'
            cand --force 'Replace a saved profile of the same name without asking (needed to replace one non-interactively)'
            cand --demo 'Run against the built-in simulated tenant; nothing is saved outside a temporary directory'
            cand --require-approval 'With --demo: the simulated tenant demands admin approval (shows the approval detour)'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;validate'= {
            cand --require-scope 'Fail with exit code 6 when this scope was not granted (repeatable)'
            cand --jobs 'With --all: how many profiles to validate at the same time'
            cand --junit 'With --all: also write a JUnit XML report to FILE, one test case per profile (replaced atomically)'
            cand --metrics 'With --all: also write OpenMetrics text to FILE, for node exporter''s textfile collector (replaced atomically)'
            cand --shard 'With --all: validate only shard K of N, written K/N (1 ≤ K ≤ N): the profiles whose name hashes to it, so that N CI jobs sharing a vault validate each profile exactly once'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --all 'Validate every saved profile (--profile is then ignored)'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;token'= {
            cand --scope 'A scope for the access token, a subset of those granted at sign-in (repeatable) [default: the scopes granted at sign-in]'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;permissions'= {
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;list'= {
            cand --lapsing-within 'Only the profiles whose credential lapses within DURATION unless refreshed (e.g. 7d, 2w, 36h): the ones to validate this week'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;export'= {
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --force 'Write to a terminal anyway'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;remove'= {
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --all 'Remove every saved profile'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;consent-url'= {
            cand --tenant 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com'
            cand --client-id 'The provider''s app registration: its application (client) ID, a GUID'
            cand --cloud 'The Microsoft cloud [default: global]'
            cand --authority 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)'
            cand --redirect-uri 'A redirect URI registered on the app, where the reviewer lands afterwards; Microsoft''s link needs one (default: the profile''s). Without one, the Entra admin center route is shown'
            cand --scope 'A scope the reviewer is asked to consent to (repeatable), as given to `onboard invite --scope` [default: the profile''s scopes; with --tenant/--client-id, every permission the registration lists (.default)]. The link asks for these by name, so a scope the registration does not list is granted too'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;doctor'= {
            cand --tenant 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com'
            cand --client-id 'The provider''s app registration: its application (client) ID, a GUID'
            cand --cloud 'The Microsoft cloud [default: global]'
            cand --authority 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;simulate'= {
            cand --port 'Port to listen on, on 127.0.0.1 (0 picks a free one)'
            cand --tenant 'The simulated tenant''s domain; its service account is svc@ this domain'
            cand --interval 'Polling interval the simulated tenant asks for, in seconds'
            cand --expires-in 'Lifetime of each device code, in seconds'
            cand --latency-ms 'Latency added to every response, in milliseconds'
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --require-approval 'Demand admin consent: sign-in meets "Approval required" until the reviewer approves'
            cand --tls 'Serve https, with a certificate for 127.0.0.1 and localhost from a certificate authority made at start. The CA''s PEM file (in a private temporary directory, removed when the tenant stops) is printed as ca_cert; clients trust it with --ca-cert or their own setting (REQUESTS_CA_BUNDLE for Python)'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;completions'= {
            cand -p 'Which saved profile to use [default: the only one saved]'
            cand --profile 'Which saved profile to use [default: the only one saved]'
            cand --config-dir 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]'
            cand --store 'Where refresh tokens are kept [default: keyring]'
            cand --vault-mount 'With --store vault: the KV version 2 mount that holds onboard''s entries'
            cand --allow-authority 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own'
            cand --color 'When to colour output; NO_COLOR turns colour off for `auto`'
            cand --ca-cert 'An extra trusted root certificate (PEM file), for corporate TLS inspection'
            cand --json 'Machine-readable output on stdout (JSON; see each command)'
            cand -v 'More detail on stderr (repeat for more); secrets are never printed'
            cand --verbose 'More detail on stderr (repeat for more); secrets are never printed'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'onboard;help'= {
            cand invite 'Onboard a tenant: sign in as its service account and save the credential'
            cand validate 'Check that a saved credential still works (for people and for CI)'
            cand token 'Print a fresh access token on stdout, and nothing else'
            cand permissions 'Show the delegated permissions the registration holds in the tenant'
            cand list 'List the saved profiles and how their last validation went'
            cand export 'Print a profile''s credential as JSON, for a CI secret'
            cand remove 'Delete a saved profile and its credential'
            cand consent-url 'Print the admin consent link for the tenant''s reviewer'
            cand doctor 'Pre-flight checks before calling a customer, each with its fix'
            cand simulate 'Run the simulated tenant on loopback and print its authority URL'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'onboard;help;invite'= {
        }
        &'onboard;help;validate'= {
        }
        &'onboard;help;token'= {
        }
        &'onboard;help;permissions'= {
        }
        &'onboard;help;list'= {
        }
        &'onboard;help;export'= {
        }
        &'onboard;help;remove'= {
        }
        &'onboard;help;consent-url'= {
        }
        &'onboard;help;doctor'= {
        }
        &'onboard;help;simulate'= {
        }
        &'onboard;help;completions'= {
        }
        &'onboard;help;help'= {
        }
    ]
    $completions[$command]
}
