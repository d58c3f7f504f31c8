import Policy

/// `[duo_only_client]`: no primary factor. Every login is accepted here and Duo alone decides;
/// the server sections using it take the second factor from the password field.
public struct DuoOnlyClient: PrimaryAuthenticator {
    public let name: String

    public init(name: String = "duo_only_client") {
        self.name = name
    }

    public func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        .accepted(PrimaryAccept())
    }
}
