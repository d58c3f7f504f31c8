import Policy
import Testing

@Suite struct PasswordTests {
    @Test func descriptionsNeverShowThePassword() {
        let password = Password("hunter2-secret")
        #expect("\(password)" == "<password>")
        #expect(String(reflecting: password) == "<password>")
        var dumped = ""
        dump(password, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }
}
