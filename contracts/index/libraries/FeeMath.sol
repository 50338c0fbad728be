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
 * below 1e-32 relative, far under the 1e-27 resolution of the stored factor.
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
    /// @dev Taylor terms of exp(-r) for r < ln2: the remainder r^27/27! is below 7e-33.
    uint256 private constant TERMS = 26;

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
        // unchecked: r < LN2 < ONE and e <= ONE, so r * e < 2^240 and r * e / (n * ONE) < e: no
        // step overflows or goes below zero; factor * e < 2^96 * 2^120.
        unchecked {
            uint256 r = x - k * LN2;
            uint256 e = ONE;
            for (uint256 n = TERMS; n != 0; --n) {
                e = ONE - (r * e) / (n * ONE);
            }
            result = ((factor * e) / ONE) >> k;
        }
        return result == 0 ? 1 : result;
    }
}
