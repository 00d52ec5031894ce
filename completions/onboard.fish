# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_onboard_global_optspecs
    string join \n p/profile= config-dir= store= vault-mount= allow-authority= json v/verbose q/quiet color= ca-cert= h/help V/version
end

function __fish_onboard_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_onboard_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_onboard_using_subcommand
    set -l cmd (__fish_onboard_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c onboard -n "__fish_onboard_needs_command" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_needs_command" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_needs_command" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_needs_command" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_needs_command" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_needs_command" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_needs_command" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_needs_command" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_needs_command" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_needs_command" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "invite" -d 'Onboard a tenant: sign in as its service account and save the credential'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "validate" -d 'Check that a saved credential still works (for people and for CI)'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "token" -d 'Print a fresh access token on stdout, and nothing else'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "permissions" -d 'Show the delegated permissions the registration holds in the tenant'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "list" -d 'List the saved profiles and how their last validation went'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "export" -d 'Print a profile\'s credential as JSON, for a CI secret'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "remove" -d 'Delete a saved profile and its credential'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "consent-url" -d 'Print the admin consent link for the tenant\'s reviewer'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "doctor" -d 'Pre-flight checks before calling a customer, each with its fix'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "simulate" -d 'Run the simulated tenant on loopback and print its authority URL'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c onboard -n "__fish_onboard_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l tenant -d 'The customer\'s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l client-id -d 'The provider\'s app registration: its application (client) ID, a GUID' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l cloud -d 'The Microsoft cloud [default: global]' -r -f -a "global\t''
usgov\t''
china\t''"
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l authority -d 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l account -d 'The service account that signs in (a UPN such as svc@contoso.com)' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l scope -d 'A scope to request (repeatable) [default: openid profile offline_access User.Read]' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l redirect-uri -d 'A redirect URI registered on the app; without one Microsoft\'s admin consent link does not work and the reviewer is shown the Entra admin center route instead' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l flow -d 'How the service account signs in: `device` (a code entered at the sign-in page) or `browser` (for tenants whose Conditional Access blocks the device code flow; the app needs http://localhost registered on its "Mobile and desktop applications" platform) [default: device]' -r -f -a "device\t'A one-time code entered at the sign-in page (OAuth 2.0 device authorization grant)'
browser\t'A browser sign-in whose answer comes back to this machine, or is pasted from another (authorization code with PKCE), for tenants that block the device code flow'"
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l timeout -d 'Give up on the wizard after this long, e.g. 90s, 15m, 1h30m (at most 24h); once the credential is being saved, the save and the final validation always finish' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l store-fallback -d 'Where to save the sign-in\'s credential when the keyring cannot take it, instead of losing it (`file`: the plaintext file store, with its warning)' -r -f -a "file\t'The plaintext file store in the config directory, mode 0600'"
complete -c onboard -n "__fish_onboard_using_subcommand invite" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l no-browser -d 'Do not open a browser; print the sign-in URL instead'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l no-clipboard -d 'Do not copy the code to the clipboard'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l qr -d 'Also show the sign-in URL as a QR code, to sign in on a phone'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l accessible -d 'Static lines for screen readers: numbered choices instead of repainted prompts, no spinner or box, the time left said once a minute, each key said in words (also when ACCESSIBLE is set and not empty)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l non-interactive -d 'Never prompt; a missing value is an error naming its flag (implied when stdin is not a terminal)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l force -d 'Replace a saved profile of the same name without asking (needed to replace one non-interactively)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l demo -d 'Run against the built-in simulated tenant; nothing is saved outside a temporary directory'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l require-approval -d 'With --demo: the simulated tenant demands admin approval (shows the approval detour)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand invite" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l require-scope -d 'Fail with exit code 6 when this scope was not granted (repeatable)' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l jobs -d 'With --all: how many profiles to validate at the same time' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l junit -d 'With --all: also write a JUnit XML report to FILE, one test case per profile (replaced atomically)' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l metrics -d 'With --all: also write OpenMetrics text to FILE, for node exporter\'s textfile collector (replaced atomically)' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l shard -d 'With --all: validate only shard K of N, written K/N (1 ≤ K ≤ N): the profiles whose name hashes to it, so that N CI jobs sharing a vault validate each profile exactly once' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l all -d 'Validate every saved profile (--profile is then ignored)'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand validate" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand token" -l scope -d 'A scope for the access token, a subset of those granted at sign-in (repeatable) [default: the scopes granted at sign-in]' -r
complete -c onboard -n "__fish_onboard_using_subcommand token" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand token" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand token" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand token" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand token" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand token" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand token" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand token" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand token" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand token" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand token" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand permissions" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand list" -l lapsing-within -d 'Only the profiles whose credential lapses within DURATION unless refreshed (e.g. 7d, 2w, 36h): the ones to validate this week' -r
complete -c onboard -n "__fish_onboard_using_subcommand list" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand list" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand list" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand list" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand list" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand list" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand list" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand list" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand list" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand list" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand list" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand export" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand export" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand export" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand export" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand export" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand export" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand export" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand export" -l force -d 'Write to a terminal anyway'
complete -c onboard -n "__fish_onboard_using_subcommand export" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand export" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand export" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand export" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l all -d 'Remove every saved profile'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s y -l yes -d 'Do not ask for confirmation'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand remove" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l tenant -d 'The customer\'s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l client-id -d 'The provider\'s app registration: its application (client) ID, a GUID' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l cloud -d 'The Microsoft cloud [default: global]' -r -f -a "global\t''
usgov\t''
china\t''"
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l authority -d 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l redirect-uri -d 'A redirect URI registered on the app, where the reviewer lands afterwards; Microsoft\'s link needs one (default: the profile\'s). Without one, the Entra admin center route is shown' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l scope -d 'A scope the reviewer is asked to consent to (repeatable), as given to `onboard invite --scope` [default: the profile\'s scopes; with --tenant/--client-id, every permission the registration lists (.default)]. The link asks for these by name, so a scope the registration does not list is granted too' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand consent-url" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l tenant -d 'The customer\'s tenant: its GUID or a verified domain such as contoso.onmicrosoft.com' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l client-id -d 'The provider\'s app registration: its application (client) ID, a GUID' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l cloud -d 'The Microsoft cloud [default: global]' -r -f -a "global\t''
usgov\t''
china\t''"
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l authority -d 'Any OpenID Connect issuer instead of a Microsoft cloud (https://, or http:// on loopback)' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l port -d 'Port to listen on, on 127.0.0.1 (0 picks a free one)' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l tenant -d 'The simulated tenant\'s domain; its service account is svc@ this domain' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l interval -d 'Polling interval the simulated tenant asks for, in seconds' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l expires-in -d 'Lifetime of each device code, in seconds' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l latency-ms -d 'Latency added to every response, in milliseconds' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l require-approval -d 'Demand admin consent: sign-in meets "Approval required" until the reviewer approves'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l tls -d 'Serve https, with a certificate for 127.0.0.1 and localhost from a certificate authority made at start. The CA\'s PEM file (in a private temporary directory, removed when the tenant stops) is printed as ca_cert; clients trust it with --ca-cert or their own setting (REQUESTS_CA_BUNDLE for Python)'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand simulate" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand completions" -s p -l profile -d 'Which saved profile to use [default: the only one saved]' -r
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l config-dir -d 'Where profiles.json lives [default: ~/.config/onboard on Linux ($XDG_CONFIG_HOME), ~/Library/Application Support/onboard on macOS, %APPDATA%\\onboard on Windows]' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l store -d 'Where refresh tokens are kept [default: keyring]' -r -f -a "keyring\t'The OS keyring (Secret Service, Keychain, Credential Manager)'
file\t'A plaintext file in the config directory, mode 0600'
vault\t'A team\'s OpenBao or HashiCorp Vault (KV version 2), profiles included'"
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l vault-mount -d 'With --store vault: the KV version 2 mount that holds onboard\'s entries' -r
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l allow-authority -d 'A sign-in server that is not one of Microsoft\'s clouds (HOST, or HOST:PORT for one port) whose profiles in the vault this machine may use (repeatable; comma separated in the variable). A vault profile at any other such server is refused before its refresh token is sent: whoever can write the vault\'s profiles could otherwise point one at a server of their own' -r
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l color -d 'When to colour output; NO_COLOR turns colour off for `auto`' -r -f -a "auto\t'Colour when stderr is a terminal and NO_COLOR is unset'
always\t''
never\t''"
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l ca-cert -d 'An extra trusted root certificate (PEM file), for corporate TLS inspection' -r -F
complete -c onboard -n "__fish_onboard_using_subcommand completions" -l json -d 'Machine-readable output on stdout (JSON; see each command)'
complete -c onboard -n "__fish_onboard_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeat for more); secrets are never printed'
complete -c onboard -n "__fish_onboard_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c onboard -n "__fish_onboard_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c onboard -n "__fish_onboard_using_subcommand completions" -s V -l version -d 'Print version'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "invite" -d 'Onboard a tenant: sign in as its service account and save the credential'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "validate" -d 'Check that a saved credential still works (for people and for CI)'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "token" -d 'Print a fresh access token on stdout, and nothing else'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "permissions" -d 'Show the delegated permissions the registration holds in the tenant'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "list" -d 'List the saved profiles and how their last validation went'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "export" -d 'Print a profile\'s credential as JSON, for a CI secret'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "remove" -d 'Delete a saved profile and its credential'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "consent-url" -d 'Print the admin consent link for the tenant\'s reviewer'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "doctor" -d 'Pre-flight checks before calling a customer, each with its fix'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "simulate" -d 'Run the simulated tenant on loopback and print its authority URL'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c onboard -n "__fish_onboard_using_subcommand help; and not __fish_seen_subcommand_from invite validate token permissions list export remove consent-url doctor simulate completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

# Profile names: `onboard __profiles` reads profiles.json only (no network, no keyring).
complete -c onboard -s p -l profile -x -a '(onboard __profiles 2>/dev/null)'
