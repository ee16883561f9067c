#pragma once
// Secrets and bcrypt hashes the authentication tests configure servers with.
//
// The hashes were made once with `htpasswd -bnBC <cost> u <password>` (which writes $2y$) and
// hard-coded so no test depends on a hashing tool. The $2a$ and $2b$ variants are the same
// hashes with the prefix renamed: the three prefixes differ only for passwords longer than
// 255 bytes, so each one still verifies its password (checked with libxcrypt's crypt()).
//
// Config files must quote every hash except $2a$ ones: nats-server special-cases an unquoted
// `$2a$` value, while an unquoted `$2b$`/`$2y$` is read as a variable reference.
//
// Every plaintext secret is distinctive, so finding it in a server log is never a
// coincidence.

#include <string_view>

namespace ringnats::authtest {

// Plaintext passwords and tokens (never hashed).
inline constexpr std::string_view kPlainUser = "alice";
inline constexpr std::string_view kPlainPassword = "Pw-alice-7f3kq";
inline constexpr std::string_view kPlainToken = "Tok-zq81-plain";

// Cost-4 hashes for the mode tests.
inline constexpr std::string_view kPassword2a = "s3cret-a";
inline constexpr std::string_view kHash2a =
    "$2a$04$yzbuZLD6qX1KiPC1tQpXPOQoSw1YW83eLnwvx/YwWdLwaZJTB3Z1i";
inline constexpr std::string_view kPassword2b = "s3cret-b";
inline constexpr std::string_view kHash2b =
    "$2b$04$XAAKQApgDY28Qpnd6/.lrOJy.X3ew9E5vi/K2Bkxz1PbR75jtxNg6";
inline constexpr std::string_view kPassword2y = "s3cret-y";
inline constexpr std::string_view kHash2y =
    "$2y$04$Amg6CjD2MqUvTMla9nuzg.b.7rO.DH4jiXZqe1siZHaE7gf.YIcgy";
inline constexpr std::string_view kBcryptToken = "tok-bcrypt";
inline constexpr std::string_view kBcryptTokenHash =
    "$2b$04$zLFo80bhhCyzABK5IvmG9O6SXeOkFI7uJYMw8WnfWis3jDZ41mfdq";

// Cost 4: the brute-force test hashes hundreds of wrong guesses against it.
inline constexpr std::string_view kBrutePassword = "brute-pw";
inline constexpr std::string_view kBruteHash =
    "$2a$04$WeSK1BT8YsWt5EkrXI1BD.H1UqI4Iile.HlREsl3BD4WRIJl6ZKA2";

// Cost 10 (tens of milliseconds): long enough that 20 simultaneous CONNECTs all arrive
// while the first verification is still running.
inline constexpr std::string_view kCoalescePassword = "coalesce-pw";
inline constexpr std::string_view kCoalesceHash =
    "$2a$10$fgFuBOKy7b6YC.wrsMpPvOkCntJah9VwppwSwSB7u8Wf7/fK8UL3O";

// Cost 14 (about a second): only for the test that shows the ring keeps serving meanwhile.
inline constexpr std::string_view kSlowPassword = "slow-pw";
inline constexpr std::string_view kSlowHash =
    "$2a$14$w6q0sb46btdgWeGJVApVKuUC/IkzxcaK1iQGTd2R86LiaPV13oNOe";

}  // namespace ringnats::authtest
