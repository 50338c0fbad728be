// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title FeeMath
 * @notice The management fee's closed form, shared by the index token (and ported bit for bit to
 * `lambdas/domain/fees.ts`): the fee factor decays as `factor * exp(-rate * elapsed / YEAR)`.
 * @dev `rate` is a continuously compounded annual rate in parts per million: at 9,500 ppm a year
 * keeps `exp(-0.0095)` = 99.0545% of the basket. The cost does not depend on `elapsed`: the
 * exponent is split as `x = k * ln2 + r` with `0 <= r < ln2`, `exp(-r)` comes from a fixed number
 * of Taylor terms (Horner form) at 1e36 precision, and `2^-k` is a shift. The series' remainder is
 * below 7e-30 relative, under the 1e-27 resolution of the stored factor.
 */
library FeeMath {
    /// @dev The fee factor of a basket nothing has been taken from: 1.0 at 27 decimals.
    uint256 internal constant FACTOR_UNIT = 1e27;
    /// @dev Seconds in the year the annual rate refers to (365 days).
    uint256 internal constant YEAR = 365 days;

    /// @dev Fixed-point one of the internal computation (36 decimals).
    uint256 private constant ONE = 1e36;
    /// @dev ln(2) at 36 decimals, rounded down.
    uint256 private constant LN2 = 693_147_180_559_945_309_417_232_121_458_176_568;
    /// @dev `rate * elapsed * SCALE / YEAR` is the exponent at 36 decimals, `rate` being in ppm.
    uint256 private constant SCALE = 1e30;
    /// @dev Taylor terms of exp(-r) for r < ln2: the remainder r^25/25! is below 7e-30.
    uint256 private constant TERMS = 24;

    /**
     * @notice `factor * exp(-ratePpm / 1e6 * elapsed / YEAR)`, rounded down and never below 1.
     * @dev Inputs are bounded by the caller's storage types (factor < 2^96, rate < 2^24,
     * elapsed < 2^40), so no product below overflows 256 bits.
     */
    function decay(uint256 factor, uint256 ratePpm, uint256 elapsed) internal pure returns (uint256) {
        uint256 x = (ratePpm * elapsed * SCALE) / YEAR;
        uint256 k = x / LN2;
        // 2^-96 of a factor below 2^96 is zero whatever exp(-r) is.
        if (k >= 96) return 1;
        uint256 result;
        // Horner form of the Taylor series, exp(-r) = 1 - r/1 * (1 - r/2 * (1 - r/3 * (...))), from
        // the innermost term (n = TERMS) out, unrolled with the divisors n * ONE as literals.
        // r < LN2 < ONE and 0 < e <= ONE, so r * e < 2^240 and r * e / (n * ONE) < e <= ONE:
        // nothing overflows or goes below zero; factor * e < 2^216.
        assembly ("memory-safe") {
            let r := sub(x, mul(k, LN2))
            let e := ONE
            e := sub(ONE, div(mul(r, e), 24000000000000000000000000000000000000)) // n = 24
            e := sub(ONE, div(mul(r, e), 23000000000000000000000000000000000000)) // n = 23
            e := sub(ONE, div(mul(r, e), 22000000000000000000000000000000000000)) // n = 22
            e := sub(ONE, div(mul(r, e), 21000000000000000000000000000000000000)) // n = 21
            e := sub(ONE, div(mul(r, e), 20000000000000000000000000000000000000)) // n = 20
            e := sub(ONE, div(mul(r, e), 19000000000000000000000000000000000000)) // n = 19
            e := sub(ONE, div(mul(r, e), 18000000000000000000000000000000000000)) // n = 18
            e := sub(ONE, div(mul(r, e), 17000000000000000000000000000000000000)) // n = 17
            e := sub(ONE, div(mul(r, e), 16000000000000000000000000000000000000)) // n = 16
            e := sub(ONE, div(mul(r, e), 15000000000000000000000000000000000000)) // n = 15
            e := sub(ONE, div(mul(r, e), 14000000000000000000000000000000000000)) // n = 14
            e := sub(ONE, div(mul(r, e), 13000000000000000000000000000000000000)) // n = 13
            e := sub(ONE, div(mul(r, e), 12000000000000000000000000000000000000)) // n = 12
            e := sub(ONE, div(mul(r, e), 11000000000000000000000000000000000000)) // n = 11
            e := sub(ONE, div(mul(r, e), 10000000000000000000000000000000000000)) // n = 10
            e := sub(ONE, div(mul(r, e), 9000000000000000000000000000000000000)) // n = 9
            e := sub(ONE, div(mul(r, e), 8000000000000000000000000000000000000)) // n = 8
            e := sub(ONE, div(mul(r, e), 7000000000000000000000000000000000000)) // n = 7
            e := sub(ONE, div(mul(r, e), 6000000000000000000000000000000000000)) // n = 6
            e := sub(ONE, div(mul(r, e), 5000000000000000000000000000000000000)) // n = 5
            e := sub(ONE, div(mul(r, e), 4000000000000000000000000000000000000)) // n = 4
            e := sub(ONE, div(mul(r, e), 3000000000000000000000000000000000000)) // n = 3
            e := sub(ONE, div(mul(r, e), 2000000000000000000000000000000000000)) // n = 2
            e := sub(ONE, div(mul(r, e), 1000000000000000000000000000000000000)) // n = 1
            result := shr(k, div(mul(factor, e), ONE))
        }
        return result == 0 ? 1 : result;
    }
}
