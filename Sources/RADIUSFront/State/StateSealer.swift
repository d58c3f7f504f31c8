import Crypto
import Foundation

/// Seals a challenge's continuation into the State attribute itself: AES-256-GCM under a key
/// derived from `[main] state_key`, with the client, user and section as authenticated data. Any
/// process holding the key can open a State it issued to the same client, user and section; a
/// State that was altered, or is presented by another client, user or section, opens to nothing.
///
/// Token: version (1) | nonce (12) | ciphertext | tag (16), at most 253 octets (RFC 2865 §5.24).
public struct StateSealer: Sendable {
    static let version: UInt8 = 1
    static let overhead = 1 + 12 + 16
    /// RFC 2865 §5: an attribute's value is at most 253 octets.
    public static let maximumTokenLength = 253

    private let key: SymmetricKey
    /// Whether the key came from the configuration (shared with other processes) or is random.
    public let isShared: Bool

    /// A key from `[main] state_key` (or its file): any text or bytes, stretched with HKDF.
    public init(secret: [UInt8]) {
        key = Self.derive(from: secret, purpose: "radius-state v1")
        isShared = true
    }

    /// Another secret derived from `[main] state_key` for one purpose (e.g. an iframe section's
    /// Duo Web application key), as 64 hex digits: every process with the key derives the same.
    public static func derivedSecret(from secret: [UInt8], purpose: String) -> String {
        derive(from: secret, purpose: purpose).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }

    /// HKDF-SHA256: one independent 256-bit key per purpose from the same configured secret.
    private static func derive(from secret: [UInt8], purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), salt: Array("twofold state".utf8), info: Array(purpose.utf8),
            outputByteCount: 32)
    }

    /// A random key for this process only.
    public static func random() -> StateSealer { StateSealer(randomKey: SymmetricKey(size: .bits256)) }

    private init(randomKey: SymmetricKey) {
        key = randomKey
        isShared = false
    }

    /// The token, or nil when it would not fit in a State attribute.
    public func seal(_ plaintext: [UInt8], binding: ChallengeStates.Binding) -> [UInt8]? {
        guard Self.overhead + plaintext.count <= Self.maximumTokenLength,
              let box = try? AES.GCM.seal(plaintext, using: key, authenticating: Self.associatedData(binding))
        else { return nil }
        return [Self.version] + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    /// The plaintext of a token sealed for `binding` with this key, or nil.
    public func open(_ token: [UInt8], binding: ChallengeStates.Binding) -> [UInt8]? {
        guard token.count >= Self.overhead, token.count <= Self.maximumTokenLength, token[0] == Self.version,
              let nonce = try? AES.GCM.Nonce(data: token[1..<13]),
              let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: token[13..<(token.count - 16)], tag: token[(token.count - 16)...]),
              let plaintext = try? AES.GCM.open(box, using: key, authenticating: Self.associatedData(binding))
        else { return nil }
        return Array(plaintext)
    }

    /// Client, user and section, each length-prefixed so that no two bindings share a form.
    static func associatedData(_ binding: ChallengeStates.Binding) -> [UInt8] {
        var data = Array("twofold radius state v1".utf8)
        for field in [binding.client.description, binding.username, binding.section] {
            let bytes = Array(field.utf8)
            data.append(contentsOf: withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init))
            data.append(contentsOf: bytes)
        }
        return data
    }
}
