// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {USSI} from "../ussi/USSI.sol";

/**
 * @title USSIV2
 * @notice Test-only next version of USSI: same storage and code under a new implementation, to prove an
 * upgrade keeps balances, requests, escrow, NAV, nonces and settings. It adds no function: USSI sits within
 * a few bytes of the 24,576-byte limit, so any addition would not deploy.
 * @dev Proxies reach V2 already initialized by V1's `initialize`, so the plugin's "missing
 * initializer" rule does not apply (storage layout is still checked).
 * @custom:oz-upgrades-unsafe-allow missing-initializer
 */
contract USSIV2 is USSI {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }
}
