/// Primary authenticators for Policy: `[ad_client]` (LDAP / Active Directory), `[radius_client]`
/// (an upstream RADIUS server), `[local_client]` (a users file with salted, slow password hashes)
/// and `[duo_only_client]` (no primary).
///
/// Each conforms to `Policy.PrimaryAuthenticator` and answers every login with a `PrimaryOutcome`.
import Policy
