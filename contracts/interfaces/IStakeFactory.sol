// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IStakeFactory
 * @notice Creates one sToken (a StakeToken UUPS proxy) per staked ERC-20 and keeps the registry
 * token -> sToken. Each sToken gets the factory's default admin as its own admin at creation and is
 * upgraded on its own by its upgrader.
 */
interface IStakeFactory is IProtocolCommon {
    /// @notice `sToken` was created for `token` from `implementation`.
    event StakeTokenCreated(
        address indexed token,
        address indexed sToken,
        address implementation,
        address admin,
        string name,
        string symbol,
        uint8 decimals
    );

    /// @notice New sTokens will be created from `newImplementation`.
    event StakeTokenImplementationUpdated(address previousImplementation, address newImplementation);


    /// @notice `implementation` has no code.
    error InvalidImplementation(address implementation);

    /// @notice `token` already has its sToken `sToken`.
    error StakeTokenExists(address token, address sToken);

    /**
     * @notice Sets up the factory.
     * @param admin Receives the admin, pauser and upgrader roles (and becomes each new sToken's admin).
     * @param implementation StakeToken implementation new sTokens point to.
     */
    function initialize(address admin, address implementation) external;

    /**
     * @notice Operator: creates the sToken of `token`, named "Staked <name>" with symbol "s<symbol>"
     * and `token`'s decimals (so `token` must implement the optional ERC-20 metadata functions).
     * @return sToken The new proxy.
     */
    function createStakeToken(address token) external returns (address sToken);

    /// @notice Admin: sets the implementation future sTokens are created from (existing ones are untouched).
    function setStakeTokenImplementation(address implementation) external;

    /// @notice The sToken of `token`, or zero if none was created.
    function sTokenOf(address token) external view returns (address);

    /// @notice The implementation new sTokens are created from.
    function stakeTokenImplementation() external view returns (address);

    /// @notice Every token that has an sToken, in creation order.
    function stakedTokens() external view returns (address[] memory);
}
