// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IIndexBurner
 * @notice Turns index tokens a protocol contract took in back into their basket: burns the caller's
 * index units and has custody release the basket they stand for to a destination. USSI uses it on
 * every index-token mint, so the index tokens leave supply and the hedge vault receives the
 * underlying (the incumbent's `burnFor`).
 * @dev A contract of its own rather than a function of the Issuer, which sits at the code-size
 * limit; the effect is the Issuer's redeem without the cash leg: it reads the basket from
 * `IIssuer.basketFor(index, amount, Redeem)` (the redeem-side bound, rounded down so the remaining
 * holders keep the rounding), refuses an index the Issuer does not know or is rebalancing, burns
 * through the index token's ISSUER_ROLE and releases through custody's RELEASER_ROLE. Its code can
 * burn only from its caller and release only that basket, so holding ISSUER_ROLE (which also
 * allows minting) gives nobody a way to mint.
 */
interface IIndexBurner is IProtocolCommon {
    /// @notice `holder` burned `indexAmount` of `index` and custody released its basket to `to` (legs in custody's `Released`).
    event BurnedFor(address indexed index, address indexed holder, address indexed to, uint256 indexAmount);

    /// @notice A burn of zero index units.
    error ZeroBurn();

    /**
     * @notice Sets up the burner.
     * @param admin Default admin (two-step handover); also pauser and upgrader.
     * @param issuer The Issuer whose index registry and basket formula apply.
     * @param custody The custody vault that releases the basket.
     */
    function initialize(address admin, address issuer, address custody) external;

    /**
     * @notice Burns `indexAmount` of `index` held by the caller and releases the basket they stand
     * for, `IIssuer.basketFor(index, indexAmount, Redeem)`, from custody to `to`.
     * @dev Caller: BURNER_ROLE (the USSI contract). Not while paused or while the index rebalances.
     * Needs ISSUER_ROLE on the index token and RELEASER_ROLE on custody.
     */
    function burnFor(address index, uint256 indexAmount, address to) external;

    /// @notice The Issuer whose index registry and basket formula apply.
    function issuer() external view returns (address);

    /// @notice The custody vault that releases the basket.
    function custody() external view returns (address);

    /// @notice The role that may burn its index tokens for their basket.
    function BURNER_ROLE() external view returns (bytes32);
}
