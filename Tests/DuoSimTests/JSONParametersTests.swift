import DuoAPI
@testable import DuoSim
import Foundation
import Testing
import TestSupport

/// The simulator's reader of v4/v5 JSON bodies: what Duo's clients send is read exactly, and
/// anything that is not a flat object of strings, integers and booleans is refused.
@Suite struct JSONParametersTests {
    @Test func readsWhatDuoClientsSend() {
        // duo_client: json.dumps(params, sort_keys=True, separators=(",", ":")), ASCII escapes.
        let python = #"{"factor":"passcode","passcode":"123456","username":"J\u00f6rg \ud83d\ude00"}"#
        #expect(DuoSimJSONParameters.decode(Array(python.utf8))
            == ["factor": "passcode", "passcode": "123456", "username": "Jörg 😀"])
        // Spaces, every escape, raw UTF-8, integers and booleans (as `str()` would write them).
        let loose = " {\n \"a\" : \"q\\\"b\\\\s\\/n\\nt\\tb\\bf\\fr\\r\" ,\"async\":1, \"neg\": -42, \"zero\": 0,"
            + " \"yes\": true, \"no\":false, \"é\": \"ü\", \"\": \"\" }\r\n"
        #expect(DuoSimJSONParameters.decode(Array(loose.utf8)) == [
            "a": "q\"b\\s/n\nt\tb\u{08}f\u{0c}r\r", "async": "1", "neg": "-42", "zero": "0",
            "yes": "true", "no": "false", "é": "ü", "": "",
        ])
        #expect(DuoSimJSONParameters.decode(Array("{}".utf8)) == [:])
        #expect(DuoSimJSONParameters.decode(Array(#"{"k":"1","k":"2"}"#.utf8)) == ["k": "2"])
    }

    @Test(arguments: [
        "", " ", "[]", "\"s\"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":\"b\",}", "{,}", "{\"a\":\"b\"}{}",
        "{\"a\":\"b\"} x", "{\"a\":null}", "{\"a\":{}}", "{\"a\":[]}", "{\"a\":1.5}", "{\"a\":1e3}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":9223372036854775808}", "{\"a\":tru}", "{\"a\":True}",
        "{a:\"b\"}", "{'a':'b'}", "{\"a\":\"b", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\ud800x\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"line\nbreak\"}", "{\"a\":\"tab\there\"}",
    ])
    func refusesWhatIsNotAFlatObject(_ text: String) {
        #expect(DuoSimJSONParameters.decode(Array(text.utf8)) == nil, "\(text.debugDescription)")
    }

    @Test func refusesBrokenUTF8() {
        #expect(DuoSimJSONParameters.decode(Array(#"{"a":""#.utf8) + [0xff, 0x22, 0x7d]) == nil)
        #expect(DuoSimJSONParameters.decode(Array(#"{"a":""#.utf8) + [0xc3, 0x22, 0x7d]) == nil)
        #expect(DuoSimJSONParameters.decode(Array(#"{"a":""#.utf8) + [0xed, 0xa0, 0x80, 0x22, 0x7d]) == nil)
    }

    /// Random parameters (control characters, quotes, backslashes, non-ASCII, astral scalars) come
    /// back unchanged through twofold's canonical JSON (ASCII escapes) and Foundation's (raw UTF-8).
    @Test func randomParametersRoundTrip() throws {
        var generator = SeededGenerator(seed: 0x5EED_0D05)
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1f}", "\u{7f}",
                                          "é", "\u{2028}", "\u{FEFF}", "\u{FFFF}", "😀", "\u{10FFFF}", "~", "+", "%"]
        func text() -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &generator) { scalars.append(alphabet.randomElement(using: &generator)!) }
            return String(scalars)
        }
        for _ in 0..<500 {
            var parameters: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &generator) { parameters[text()] = text() }
            #expect(DuoSimJSONParameters.decode(DuoCanonicalJSON.encode(parameters)) == parameters)
            #expect(DuoSimJSONParameters.decode(Array(try JSONEncoder().encode(parameters))) == parameters)
        }
    }
}
