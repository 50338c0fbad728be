// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title ICustodyVault
 * @notice The on-chain custody of underlying assets on chains where the custodian is a contract
 * (the local chain): anyone can deposit with a plain ERC-20 transfer, only protocol contracts
 * holding RELEASER_ROLE can take assets out, and only while not paused.
 */
interface ICustodyVault {
    /// @notice `amounts` of `assets` left custody to `to` on behalf of index `index`.
    event Released(address indexed index, address indexed to, address[] assets, uint256[] amounts);

    /// @notice The asset and amount lists of a release differ in length.
    error ReleaseLengthMismatch(uint256 assets, uint256 amounts);

    /// @notice Sets up the vault; `admin` becomes default admin, pauser and upgrader.
    function initialize(address admin) external;

    /**
     * @notice Sends `amounts[i]` of `assets[i]` to `to`.
     * @dev Only RELEASER_ROLE (the issuer and, later, the rebalancer), not while paused.
     * @param index The index token on whose behalf the assets leave (recorded in the event).
     */
    function release(address index, address to, address[] calldata assets, uint256[] calldata amounts) external;

    /// @notice The role allowed to release assets.
    function RELEASER_ROLE() external view returns (bytes32);

    /// @notice The vault's balance of each of `assets`.
    function balancesOf(address[] calldata assets) external view returns (uint256[] memory balances);
}
