// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title IIndexToken
 * @notice An SSI index token: an ERC-20 whose every unit stands for a fixed basket of underlying
 * assets held in custody.
 * @dev The tokenset is the per-token basket: sorted, unique asset addresses and, for each, the
 * amount of that asset (in its own smallest units) that backs 1e18 index units (one whole token).
 * The aggregate basket, what custody must hold, is derived from it: for every asset
 * `ceil(unitAmount * totalSupply / 1e18)`, rounded up because it is the protocol's liability.
 * Supply changes show up as ERC-20 transfers from/to the zero address; tokenset changes as
 * {BasketUpdated} with the full new tokenset, so an indexer can rebuild the basket from events.
 */
interface IIndexToken is IERC20 {
    /// @notice The tokenset changed; carries the complete new tokenset and the supply it applies to.
    event BasketUpdated(address[] assets, uint256[] unitAmounts, uint256 totalSupply);

    /// @notice A tokenset must hold at least one asset.
    error TokensetEmpty();
    /// @notice A tokenset holds more assets than `max`.
    error TokensetTooLarge(uint256 length, uint256 max);
    /// @notice The asset and amount lists of a tokenset differ in length.
    error TokensetLengthMismatch(uint256 assets, uint256 amounts);
    /// @notice Assets must be strictly ascending by address (so sorted and unique); `asset` at `position` is not.
    error TokensetNotSorted(uint256 position, address asset);
    /// @notice The amount at `position` is zero or does not fit the 96 bits a tokenset entry keeps.
    error TokensetAmountInvalid(uint256 position, uint256 amount);
    /// @notice Storing the tokenset's data contract failed.
    error TokensetWriteFailed();

    /**
     * @notice Sets up a new index token behind its proxy.
     * @param name_ ERC-20 name.
     * @param symbol_ ERC-20 symbol, e.g. MAG7.ssi.
     * @param admin Default admin (two-step handover); also gets the pauser and upgrader roles.
     * @param issuer The only account allowed to mint and burn (ISSUER_ROLE).
     * @param upgrader An extra upgrader, the factory that manages token implementations.
     * @param assets Tokenset assets, strictly ascending by address.
     * @param unitAmounts Amount of each asset per 1e18 index units; each non-zero and below 2^96.
     */
    function initialize(
        string memory name_,
        string memory symbol_,
        address admin,
        address issuer,
        address upgrader,
        address[] memory assets,
        uint256[] memory unitAmounts
    ) external;

    /// @notice Mints `amount` index units to `to`; only the issuer, not while paused.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` index units held by `from`; only the issuer, not while paused.
    function burn(address from, uint256 amount) external;

    /// @notice The role allowed to mint and burn.
    function ISSUER_ROLE() external view returns (bytes32);

    /// @notice The per-token basket: assets (ascending) and the amount of each per 1e18 index units.
    function tokenset() external view returns (address[] memory assets, uint256[] memory unitAmounts);

    /// @notice The aggregate basket custody must hold: `ceil(unitAmount * totalSupply / 1e18)` per asset.
    function basket() external view returns (address[] memory assets, uint256[] memory amounts);
}
