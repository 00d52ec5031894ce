
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'onboard' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'onboard'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'onboard' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Onboard a tenant: sign in as its service account and save the credential')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check that a saved credential still works (for people and for CI)')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token on stdout, and nothing else')
            [CompletionResult]::new('permissions', 'permissions', [CompletionResultType]::ParameterValue, 'Show the delegated permissions the registration holds in the tenant')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the saved profiles and how their last validation went')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print a profile''s credential as JSON, for a CI secret')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete a saved profile and its credential')
            [CompletionResult]::new('consent-url', 'consent-url', [CompletionResultType]::ParameterValue, 'Print the admin consent link for the tenant''s reviewer')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Pre-flight checks before calling a customer, each with its fix')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Run the simulated tenant on loopback and print its authority URL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'onboard;invite' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The provider''s app registration: its application (client) ID, a GUID')
            [CompletionResult]::new('--cloud', '--cloud', [CompletionResultType]::ParameterName, 'The Microsoft cloud [default: global]')
            [CompletionResult]::new('--authority', '--authority', [CompletionResultType]::ParameterName, 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The service account that signs in (a UPN such as svc@contoso.com)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope to request (repeatable) [default: openid profile offline_access User.Read]')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'A redirect URI registered on the app; without one Microsoft''s admin consent link does not work and the reviewer is shown the Entra admin center route instead')
            [CompletionResult]::new('--flow', '--flow', [CompletionResultType]::ParameterName, 'How the service account signs in: `device` (a code entered at the sign-in page) or `browser` (for tenants whose Conditional Access blocks the device code flow; the app needs http://localhost registered on its "Mobile and desktop applications" platform) [default: device]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on the wizard after this long, e.g. 90s, 15m, 1h30m (at most 24h); once the credential is being saved, the save and the final validation always finish')
            [CompletionResult]::new('--store-fallback', '--store-fallback', [CompletionResultType]::ParameterName, 'Where to save the sign-in''s credential when the keyring cannot take it, instead of losing it (`file`: the plaintext file store, with its warning)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser; print the sign-in URL instead')
            [CompletionResult]::new('--no-clipboard', '--no-clipboard', [CompletionResultType]::ParameterName, 'Do not copy the code to the clipboard')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Also show the sign-in URL as a QR code, to sign in on a phone')
            [CompletionResult]::new('--accessible', '--accessible', [CompletionResultType]::ParameterName, 'Static lines for screen readers: numbered choices instead of repainted prompts, no spinner or box, the time left said once a minute, each key said in words (also when ACCESSIBLE is set and not empty)')
            [CompletionResult]::new('--non-interactive', '--non-interactive', [CompletionResultType]::ParameterName, 'Never prompt; a missing value is an error naming its flag (implied when stdin is not a terminal)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a saved profile of the same name without asking (needed to replace one non-interactively)')
            [CompletionResult]::new('--demo', '--demo', [CompletionResultType]::ParameterName, 'Run against the built-in simulated tenant; nothing is saved outside a temporary directory')
            [CompletionResult]::new('--require-approval', '--require-approval', [CompletionResultType]::ParameterName, 'With --demo: the simulated tenant demands admin approval (shows the approval detour)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;validate' {
            [CompletionResult]::new('--require-scope', '--require-scope', [CompletionResultType]::ParameterName, 'Fail with exit code 6 when this scope was not granted (repeatable)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'With --all: how many profiles to validate at the same time')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'With --all: also write a JUnit XML report to FILE, one test case per profile (replaced atomically)')
            [CompletionResult]::new('--metrics', '--metrics', [CompletionResultType]::ParameterName, 'With --all: also write OpenMetrics text to FILE, for node exporter''s textfile collector (replaced atomically)')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'With --all: validate only shard K of N, written K/N (1 ≤ K ≤ N): the profiles whose name hashes to it, so that N CI jobs sharing a vault validate each profile exactly once')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Validate every saved profile (--profile is then ignored)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;token' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope for the access token, a subset of those granted at sign-in (repeatable) [default: the scopes granted at sign-in]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;permissions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;list' {
            [CompletionResult]::new('--lapsing-within', '--lapsing-within', [CompletionResultType]::ParameterName, 'Only the profiles whose credential lapses within DURATION unless refreshed (e.g. 7d, 2w, 36h): the ones to validate this week')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;export' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Write to a terminal anyway')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;remove' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Remove every saved profile')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;consent-url' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The provider''s app registration: its application (client) ID, a GUID')
            [CompletionResult]::new('--cloud', '--cloud', [CompletionResultType]::ParameterName, 'The Microsoft cloud [default: global]')
            [CompletionResult]::new('--authority', '--authority', [CompletionResultType]::ParameterName, 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)')
            [CompletionResult]::new('--redirect-uri', '--redirect-uri', [CompletionResultType]::ParameterName, 'A redirect URI registered on the app, where the reviewer lands afterwards; Microsoft''s link needs one (default: the profile''s). Without one, the Entra admin center route is shown')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope the reviewer is asked to consent to (repeatable), as given to `onboard invite --scope` [default: the profile''s scopes; with --tenant/--client-id, every permission the registration lists (.default)]. The link asks for these by name, so a scope the registration does not list is granted too')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;doctor' {
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The customer''s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The provider''s app registration: its application (client) ID, a GUID')
            [CompletionResult]::new('--cloud', '--cloud', [CompletionResultType]::ParameterName, 'The Microsoft cloud [default: global]')
            [CompletionResult]::new('--authority', '--authority', [CompletionResultType]::ParameterName, 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;simulate' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on, on 127.0.0.1 (0 picks a free one)')
            [CompletionResult]::new('--tenant', '--tenant', [CompletionResultType]::ParameterName, 'The simulated tenant''s domain; its service account is svc@ this domain')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Polling interval the simulated tenant asks for, in seconds')
            [CompletionResult]::new('--expires-in', '--expires-in', [CompletionResultType]::ParameterName, 'Lifetime of each device code, in seconds')
            [CompletionResult]::new('--latency-ms', '--latency-ms', [CompletionResultType]::ParameterName, 'Latency added to every response, in milliseconds')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--require-approval', '--require-approval', [CompletionResultType]::ParameterName, 'Demand admin consent: sign-in meets "Approval required" until the reviewer approves')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Serve https, with a certificate for 127.0.0.1 and localhost from a certificate authority made at start. The CA''s PEM file (in a private temporary directory, removed when the tenant stops) is printed as ca_cert; clients trust it with --ca-cert or their own setting (REQUESTS_CA_BUNDLE for Python)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;completions' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which saved profile to use [default: the only one saved]')
            [CompletionResult]::new('--config-dir', '--config-dir', [CompletionResultType]::ParameterName, 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\onboard on Windows]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Where refresh tokens are kept [default: keyring]')
            [CompletionResult]::new('--vault-mount', '--vault-mount', [CompletionResultType]::ParameterName, 'With --store vault: the KV version 2 mount that holds onboard''s entries')
            [CompletionResult]::new('--allow-authority', '--allow-authority', [CompletionResultType]::ParameterName, 'A sign-in server that is not one of Microsoft''s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault''s profiles could otherwise point one at a server of their own')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output; NO_COLOR turns colour off for `auto`')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'An extra trusted root certificate (PEM file), for corporate TLS inspection')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine-readable output on stdout (JSON; see each command)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeat for more); secrets are never printed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'onboard;help' {
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Onboard a tenant: sign in as its service account and save the credential')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check that a saved credential still works (for people and for CI)')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a fresh access token on stdout, and nothing else')
            [CompletionResult]::new('permissions', 'permissions', [CompletionResultType]::ParameterValue, 'Show the delegated permissions the registration holds in the tenant')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the saved profiles and how their last validation went')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print a profile''s credential as JSON, for a CI secret')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete a saved profile and its credential')
            [CompletionResult]::new('consent-url', 'consent-url', [CompletionResultType]::ParameterValue, 'Print the admin consent link for the tenant''s reviewer')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Pre-flight checks before calling a customer, each with its fix')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Run the simulated tenant on loopback and print its authority URL')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'onboard;help;invite' {
            break
        }
        'onboard;help;validate' {
            break
        }
        'onboard;help;token' {
            break
        }
        'onboard;help;permissions' {
            break
        }
        'onboard;help;list' {
            break
        }
        'onboard;help;export' {
            break
        }
        'onboard;help;remove' {
            break
        }
        'onboard;help;consent-url' {
            break
        }
        'onboard;help;doctor' {
            break
        }
        'onboard;help;simulate' {
            break
        }
        'onboard;help;completions' {
            break
        }
        'onboard;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
