import Foundation
import Testing

@testable import Upstream

/// PBKDF2-HMAC-SHA256 and scrypt against published vectors, the PHC string format both ways, and
/// the limits every entry is checked against before any hashing.
@Suite struct PasswordHashTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    // RFC 7914 §11 ("Test Vectors for PBKDF2 with HMAC-SHA-256") and §12 ("Test Vectors for scrypt").
    // (scrypt's first vector, with an empty password and salt, is left out: twofold never hashes
    // an empty password.)
    @Test(arguments: [
        ("passwd", "salt", PasswordHashCost.pbkdf2SHA256(iterations: 1),
         "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", .pbkdf2SHA256(iterations: 80_000),
         "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
        ("password", "NaCl", .scrypt(logN: 10, blockSize: 8, parallelism: 16),
         "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"),
        ("pleaseletmein", "SodiumChloride", .scrypt(logN: 14, blockSize: 8, parallelism: 1),
         "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"),
    ])
    func rfc7914Vectors(password: String, salt: String, cost: PasswordHashCost, expected: String) throws {
        let derived = try PasswordHash.derive(
            password: Array(password.utf8), salt: Array(salt.utf8), cost: cost, outputByteCount: 64)
        #expect(derived == Self.bytes(expected))
    }

    /// Entries made by another implementation (Python's hashlib.pbkdf2_hmac and hashlib.scrypt,
    /// salt bytes 0...15, encoded as the PHC format says) verify here.
    @Test(arguments: [
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$2YuiANMZ38t226EpFndat9S4IWbcs9zG7FH8sXKNVUk",
    ])
    func hashesOfAnotherImplementationVerify(entry: String) throws {
        let hash = try PasswordHash(phcString: entry[...])
        #expect(try hash.verify(Array("correct horse ✓".utf8)))
        #expect(try !hash.verify(Array("correct horse ✗".utf8)))
        #expect(hash.salt == Array(0..<16))
        #expect(hash.phcString == entry, "parsing and printing give back the same text")
    }

    @Test(arguments: [
        PasswordHashCost.pbkdf2SHA256(iterations: 1_000),
        .scrypt(logN: 8, blockSize: 8, parallelism: 1),
        .scrypt(logN: 4, blockSize: 1, parallelism: 3),
    ])
    func madeHashesRoundTripAndVerify(cost: PasswordHashCost) throws {
        let password = Array("s3cret pässword".utf8)
        let made = try PasswordHash.make(password: password, cost: cost)
        #expect(made.salt.count == 16)
        #expect(made.digest.count == 32)
        let parsed = try PasswordHash(phcString: made.phcString[...])
        #expect(parsed.cost == cost)
        #expect(try parsed.verify(password))
        #expect(try !parsed.verify(Array("s3cret pässworD".utf8)))
        #expect(try !parsed.verify([]), "an empty password never matches")

        let again = try PasswordHash.make(password: password, cost: cost)
        #expect(again.salt != made.salt, "every hash gets a fresh salt")
    }

    @Test func theCostInTheEntryIsTheCostUsed() throws {
        let password = Array("hunter2".utf8)
        let made = try PasswordHash.make(password: password, cost: .pbkdf2SHA256(iterations: 1_000))
        let altered = made.phcString.replacingOccurrences(of: "$i=1000$", with: "$i=1001$")
        #expect(try !PasswordHash(phcString: altered[...]).verify(password))
    }

    @Test func defaultsAreOWASPs() {
        #expect(PasswordHashCost.pbkdf2SHA256Default == .pbkdf2SHA256(iterations: 600_000))
        #expect(PasswordHashCost.scryptDefault == .scrypt(logN: 17, blockSize: 8, parallelism: 1))
        #expect(PasswordHashCost.scryptDefault.memoryBytes == 128 * 8 * ((1 << 17) + 2))
        #expect(PasswordCostFloor.owasp.shortfall(of: .pbkdf2SHA256Default) == nil)
        #expect(PasswordCostFloor.owasp.shortfall(of: .scryptDefault) == nil)
        #expect(PasswordCostFloor.owasp.shortfall(of: .scrypt(logN: 13, blockSize: 8, parallelism: 10)) == nil)
        #expect(PasswordCostFloor.owasp.shortfall(of: .pbkdf2SHA256(iterations: 599_999)) != nil)
        #expect(PasswordCostFloor.owasp.shortfall(of: .scrypt(logN: 15, blockSize: 8, parallelism: 1)) != nil)
    }

    static let salt = "AAECAwQFBgcICQoLDA0ODw"
    static let digest = "yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI"

    @Test(arguments: [
        ("pbkdf2-sha256$i=1000$\(salt)$\(digest)", PasswordHashError.Kind.format, "expected $pbkdf2-sha256$i=ITERATIONS$SALT$HASH"),
        ("$pbkdf2-sha256$i=1000$\(salt)", .format, "5 fields"),
        ("$pbkdf2-sha256$i=1000$\(salt)$\(digest)$", .format, "5 fields"),
        ("$argon2id$v=19$m=65536,t=3,p=4$\(salt)$\(digest)", .unsupportedAlgorithm, "\"argon2id\" is not supported"),
        ("$pbkdf2-sha256$rounds=1000$\(salt)$\(digest)", .format, "i=N"),
        ("$pbkdf2-sha256$i=01000$\(salt)$\(digest)", .format, "leading zeros"),
        ("$pbkdf2-sha256$i=-1$\(salt)$\(digest)", .format, "positive decimal"),
        ("$pbkdf2-sha256$i=99999999999$\(salt)$\(digest)", .format, "positive decimal"),
        ("$pbkdf2-sha256$i=20000000$\(salt)$\(digest)", .limits, "outside 1...10000000"),
        ("$scrypt$r=8,ln=10,p=1$\(salt)$\(digest)", .format, "in that order"),
        ("$scrypt$ln=10,r=8$\(salt)$\(digest)", .format, "ln=N,r=N,p=N"),
        ("$scrypt$ln=21,r=8,p=1$\(salt)$\(digest)", .limits, "ln=21"),
        ("$scrypt$ln=19,r=8,p=1$\(salt)$\(digest)", .limits, "512 MiB"),
        ("$scrypt$ln=10,r=17,p=1$\(salt)$\(digest)", .limits, "r=17"),
        ("$scrypt$ln=10,r=8,p=17$\(salt)$\(digest)", .limits, "p=17"),
        ("$scrypt$ln=16,r=1,p=1$\(salt)$\(digest)", .limits, "RFC 7914"),
        ("$pbkdf2-sha256$i=1000$\(salt)==$\(digest)", .encoding, "no = padding"),
        ("$pbkdf2-sha256$i=1000$\(salt)$\(digest.dropLast())!", .encoding, "the hash is not"),
        ("$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODx$\(digest)", .encoding, "the salt is not"),
        ("$pbkdf2-sha256$i=1000$AAECAw$\(digest)", .encoding, "the salt is 4 bytes"),
        ("$pbkdf2-sha256$i=1000$\(salt)$AAECAwQFBgcICQ", .encoding, "the hash is 10 bytes"),
        ("$pbkdf2-sha256$i=1000$\(salt)$\(digest) ", .encoding, "the hash is not"),
    ])
    func malformedHashesSayWhatIsWrong(text: String, kind: PasswordHashError.Kind, says: String) {
        let error = #expect(throws: PasswordHashError.self) { try PasswordHash(phcString: text[...]) }
        #expect(error?.kind == kind, "\(String(describing: error))")
        #expect(error?.diagnostic.contains(says) == true, "\(String(describing: error))")
        #expect(error?.diagnostic.contains(Self.digest) == false, "the hash is never repeated")
    }

    @Test func descriptionsHideTheSaltAndHash() throws {
        let hash = try PasswordHash(phcString: "$pbkdf2-sha256$i=1000$\(Self.salt)$\(Self.digest)")
        for text in [hash.description, hash.debugDescription, "\(hash)", String(reflecting: hash)] {
            #expect(!text.contains(Self.digest))
            #expect(!text.contains(Self.salt))
        }
    }

    @Test func base64IsCanonical() {
        for count in 0..<10 {
            let bytes = (0..<count).map { UInt8($0 * 37 & 0xff) }
            let text = PHCBase64.encode(bytes)
            #expect(!text.contains("="))
            #expect(PHCBase64.decode(text[...]) == bytes)
        }
        #expect(PHCBase64.decode("QQ") == [0x41])
        #expect(PHCBase64.decode("QR") == nil, "unused bits must be zero")
        #expect(PHCBase64.decode("QQ==") == nil)
        #expect(PHCBase64.decode("Q") == nil)
        #expect(PHCBase64.decode("QQ_-") == nil, "the URL-safe alphabet is not PHC's")
    }

    @Test func makingRefusesAnEmptyPasswordAndCostsOutsideTheLimits() {
        #expect(throws: PasswordHashError.self) { try PasswordHash.make(password: [], cost: .pbkdf2SHA256(iterations: 1)) }
        #expect(throws: PasswordHashError.self) {
            try PasswordHash.make(password: [1], cost: .scrypt(logN: 20, blockSize: 8, parallelism: 1))
        }
    }
}
