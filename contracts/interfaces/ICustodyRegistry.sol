// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title ICustodyRegistry
 * @notice Chain-qualified assets for baskets whose constituents live on several chains. Each asset is
 * (chain, asset id, decimals, custody mode). An `Onchain` asset is an ERC-20 on the deployment chain and
 * settles atomically as before; a `Custodian` asset is held in custodian wallets on its native chain and
 * is named in an IndexToken basket by a deterministic placeholder address, `placeholderOf(chain, asset)`,
 * which has no code and no balance: it only keys the basket entry to this registry. Chains, asset ids and
 * wallet addresses are native strings; the registry stores them as keccak256 of their UTF-8 bytes (the
 * same keys the custodian attestations sign) and emits the strings for auditors. The registry also
 * holds the custodian signer keys whose EIP-712 attestations the attested-leg contract accepts.
 */
interface ICustodyRegistry is IProtocolCommon {
    /// @notice How an asset is held.
    enum CustodyMode {
        /// @dev An ERC-20 on the deployment chain, held by CustodyVault.
        Onchain,
        /// @dev Held in registered custodian wallets on its native chain; legs are proven by attestations.
        Custodian
    }

    /// @notice One registered asset.
    struct Asset {
        /// @dev keccak256 of the chain name, e.g. keccak256("bitcoin").
        bytes32 chain;
        /// @dev keccak256 of the asset id, e.g. keccak256("BTC").
        bytes32 asset;
        /// @dev Decimals of the asset's native unit (8 for BTC satoshi, 9 for SOL lamports, ...).
        uint8 decimals;
        CustodyMode mode;
        /// @dev The address a basket names it by: the ERC-20 (Onchain) or the placeholder (Custodian).
        address token;
    }

    /// @notice `chainName`/`assetId` was registered under `token` (the strings are for auditors).
    event AssetRegistered(
        address indexed token,
        bytes32 indexed chain,
        bytes32 indexed asset,
        string chainName,
        string assetId,
        uint8 decimals,
        CustodyMode mode
    );

    /// @notice Custodian wallet `wallet` on `chainName` was registered (`active`) or retired.
    event WalletSet(bytes32 indexed chain, bytes32 indexed walletKey, string chainName, string wallet, bool active);

    /// @notice Custodian signer `signer` was allowed (`active`) or revoked.
    event SignerSet(address indexed signer, bool active);

    /// @notice A native string (chain name, asset id, wallet) was empty.
    error EmptyName();


    /// @notice `token` is already registered.
    error AssetAlreadyRegistered(address token);

    /// @notice `token` is not a registered asset.
    error UnknownAsset(address token);

    /// @notice A custodian asset was given a token other than its placeholder `expected`.
    error NotPlaceholder(address given, address expected);

    /// @notice Sets up roles: `admin` gets admin, pauser and upgrader; the operator role registers data.
    function initialize(address admin) external;

    /**
     * @notice Registers an asset. For `Custodian` the token must be `placeholderOf(chain, asset)`;
     * for `Onchain` it is the ERC-20 on this chain.
     * @param chainName Native chain name, e.g. "bitcoin" (the deployment chain for on-chain assets).
     * @param assetId Asset id on that chain, e.g. "BTC".
     * @param decimals Decimals of the native unit.
     * @param mode Custody mode.
     * @param token Address baskets name the asset by.
     */
    function registerAsset(string calldata chainName, string calldata assetId, uint8 decimals, CustodyMode mode, address token)
        external;

    /**
     * @notice Registers (`active`) or retires a custodian wallet on a native chain. Address formats are
     * validated off-chain by the custodian service before the operator submits them.
     * @param chainName Native chain name.
     * @param wallet The wallet address string (XRP: `address?dt=<tag>`).
     * @param active Whether the wallet may appear in attestations.
     */
    function setWallet(string calldata chainName, string calldata wallet, bool active) external;

    /**
     * @notice Allows (`active`) or revokes a custodian signing key; admin only, since a signer can
     * complete mints.
     * @param signer The custodian key's address.
     * @param active Whether its attestations are accepted.
     */
    function setSigner(address signer, bool active) external;

    /// @notice The registered asset behind `token`; reverts `UnknownAsset` if none.
    function assetOf(address token) external view returns (Asset memory);

    /// @notice Whether `token` is a registered custodian-mode asset.
    function isCustodian(address token) external view returns (bool);

    /// @notice Whether `walletKey` (keccak256 of the address string) is an active wallet on `chain`.
    function isWallet(bytes32 chain, bytes32 walletKey) external view returns (bool);

    /// @notice Whether `signer` is an active custodian signer.
    function isSigner(address signer) external view returns (bool);

    /// @notice The registered asset tokens, in registration order.
    function assets() external view returns (address[] memory);

    /**
     * @notice The placeholder address of a custodian asset: the low 20 bytes of
     * keccak256(abi.encode("ssi.custodian-asset", chain, asset)). Deterministic, so off-chain code derives it.
     */
    function placeholderOf(bytes32 chain, bytes32 asset) external pure returns (address);
}
